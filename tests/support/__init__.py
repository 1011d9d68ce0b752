"""Test helpers: real local servers speaking the wire formats of X, OpenAI, the Bot Connector."""
