"""X API v2 client: reading (search, counts) and publishing, on tweepy's AsyncClient."""

from bot.clients.x.source import OAuth1UserAuth, OAuth2UserAuth, UserAuth, XSource

__all__ = ["OAuth1UserAuth", "OAuth2UserAuth", "UserAuth", "XSource"]
