"""Text folding for comparing what the editorial line says with what a post says.

`fold` and `fold_char` are the bot's one fold (`bot.domain.text`), named here for the line's
readers; `hashtag_key` is the line's own comparison key of a hashtag.
"""

from __future__ import annotations

from bot.domain.text import fold, fold_char

__all__ = ["fold", "fold_char", "hashtag_key"]


def hashtag_key(tag: str) -> str:
    """Comparison key of a hashtag: "#Vélo" and "#velo" are the same tag."""
    return fold(tag.lstrip("#＃"))
