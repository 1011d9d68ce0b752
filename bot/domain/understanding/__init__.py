"""Understanding a question: what it asks (a learned classifier over multilingual sentence
embeddings), in which language, about what and when (rules over data files).

Modules: `lexicon` (rule vocabularies from content/understanding/lexicon.yaml), `text` (tokens,
shorthand, typos), `periods`, `slots`, `model` (the linear head), `reader` (`understand`).
"""

from __future__ import annotations

from bot.domain.understanding.lexicon import lexicon
from bot.domain.understanding.model import intent_model
from bot.domain.understanding.reader import SAFE_UNDER_INJECTION, understand
from bot.domain.understanding.slots import MAX_TOPIC_CHARS

__all__ = ["MAX_TOPIC_CHARS", "SAFE_UNDER_INJECTION", "understand", "warm_up"]


def warm_up() -> None:
    """Read the classifier and the lexicons now rather than on the first question."""
    intent_model()
    lexicon()
