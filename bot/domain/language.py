"""Fast language identification for posts: ``"fr"``, ``"en"`` or ``"other"``.

Scores the tokens of a post against hand-written stop-word and cue-word lists of French, English
and the Latin-script languages most often confused with them (Spanish, Italian, Portuguese,
German, Dutch), plus letter cues (é/è/ç… for French, ñ/¿ for Spanish, ß/ä for German…).
Posts written mostly in a non-Latin script are ``"other"``. With no evidence at all (a post made
only of names, hashtags or links), ASCII text defaults to English, the lingua franca of X, and
anything else to ``"other"``.

No model file, no I/O: a few microseconds per post.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.domain.text import tokenize

__all__ = ["LANGUAGES", "detect_language", "detect_language_tokens"]

LANGUAGES: Final = ("fr", "en", "other")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Weight 1.0 words: frequent function words that are (nearly) exclusive to the language.
_FR: Final = _words(
    """
    le la les des du une et est sont dans pour pas sur au aux ce cet cette ces il ils elle elles
    nous vous je tu ne se sa ses leur leurs mais ou où avec être été très tout tous toute toutes
    aussi comme fait ont avoir faire ça lui moi toi notre votre nos vos même encore après avant
    quand chez sans sous entre depuis déjà oui non merci bonjour qui que quoi dont c' l' d' j'
    qu' n' s' m' t' jusqu' lorsqu' puisqu' y à été était sera peut doit faut rien jamais
    personne ici voilà cela ceci celui celle ceux donc alors parce pourquoi comment leur vraiment
    trop beaucoup peu moins bien mal bon bonne nouveau nouvelle contre pendant vers selon mon ma
    mes ton ta tes suis es sommes êtes avez avons vais va vont fais font dit aujourd'hui hier
    demain ans tout le monde enfin chaque autre autres quel quelle quels quelles grâce afin
    """
)
_EN: Final = _words(
    """
    the and is are was were be been being to of in for with that this it its i you he she we
    they my your his her our their not no but or if so at by from have has had do does did
    will would can could should just what who how when where why there here all about up out
    more than then now very get got don't i'm it's you're can't won't didn't doesn't isn't
    that's there's let's i've i'll we're they're which these those them him me us been into
    over after before because only also still even really much many some any every most other
    new good great today tonight tomorrow yesterday time day people one like love know think
    want going gonna make see back well way may might must need never always something
    """
)
_ES: Final = _words(
    """
    el los las y es en por para con una unos unas del lo al pero más como está están este esta
    estos muy también sin sobre ser hay fue hasta desde porque cuando yo tú él ella nosotros
    mi mis su sus qué cómo gracias hola bueno buena todo todos nada ya así
    """
)
_IT: Final = _words(
    """
    il lo gli della dello delle degli di che è non per una con sono nel nella anche come più ma
    questo questa perché molto tutto tutti sempre ancora grazie ciao buongiorno io tu lui lei
    noi voi loro mio tuo suo ho hai ha abbiamo
    """
)
_PT: Final = _words(
    """
    o os as um uma e é em no na nos nas do da dos das para com não mais como mas por muito
    também já está são foi ser ter obrigado obrigada você eu ele ela nós isso isto aqui
    """
)
_DE: Final = _words(
    """
    der die das und ist nicht ein eine einen dem den des zu mit auf für von sich auch es ich
    du er sie wir ihr sind war haben hat wird werden kann noch nur aber oder wie was wenn dass
    schon sehr mehr bei nach aus danke heute
    """
)
_NL: Final = _words(
    """
    de het een en van is niet dat zijn op te met voor ook maar als er bij nog wel naar uit om
    dit wat ik je jij hij zij wij ze heeft hebben worden wordt dank bedankt
    """
)

_CANDIDATES: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("fr", _FR),
    ("en", _EN),
    ("es", _ES),
    ("it", _IT),
    ("pt", _PT),
    ("de", _DE),
    ("nl", _NL),
)
# word -> per-language weight, shared words split their weight.
_WORD_SCORES: Final[dict[str, tuple[tuple[int, float], ...]]] = {}


def _build_word_scores() -> None:
    owners: dict[str, list[int]] = {}
    for idx, (_, words) in enumerate(_CANDIDATES):
        for w in words:
            owners.setdefault(w, []).append(idx)
    for w, idxs in owners.items():
        share = 1.0 / len(idxs)
        _WORD_SCORES[w] = tuple((i, share) for i in idxs)


_build_word_scores()

_N: Final = len(_CANDIDATES)
_FR_I: Final = 0
_EN_I: Final = 1
_LETTER_CUES: Final[dict[str, tuple[int, float]]] = {
    **dict.fromkeys("éèêëàâçîïôûùœ", (0, 0.6)),
    **dict.fromkeys("ñ¿¡", (2, 1.0)),
    **dict.fromkeys("ãõ", (4, 1.0)),
    **dict.fromkeys("äöüß", (5, 1.0)),
}
_EN_SUFFIXES: Final = ("ing", "'s", "n't", "'ll", "'ve", "'re", "'m")
_FR_SUFFIXES: Final = ("ment", "eux", "euse", "ait", "aient", "ées", "és", "ée", "ique", "ité")


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and ord(ch) < 0x250


_Profile = tuple[tuple[tuple[int, float], ...], int, int]
"""What one token adds to a post: (language index, score) pairs, Latin words, other-script words."""
_PROFILES: dict[str, _Profile] = {}
_PROFILE_LIMIT: Final = 200_000
_NOTHING: Final[_Profile] = ((), 0, 0)


def _profile(tok: str) -> _Profile:
    """The contribution of one token to the language scores (cached: posts repeat words)."""
    first = tok[0]
    if first == "#" or first == "@" or first == "$":
        return _NOTHING
    hits: list[tuple[int, float]] = list(_WORD_SCORES.get(tok, ()))
    latin = other = 0
    if tok.isascii():
        if tok.isalpha() or "'" in tok:
            latin = 1
            if len(tok) > 4 and tok.endswith(_EN_SUFFIXES):
                hits.append((_EN_I, 0.3))
    elif not first.isalpha():
        pass  # emoji, symbols
    elif _is_latin_letter(first):
        latin = 1
        for ch in tok:
            cue = _LETTER_CUES.get(ch)
            if cue is not None:
                hits.append(cue)
                break
        if len(tok) > 4 and tok.endswith(_FR_SUFFIXES):
            hits.append((_FR_I, 0.3))
    else:
        other = 1
    return (tuple(hits), latin, other)


def detect_language_tokens(tokens: Sequence[str]) -> str:
    """Language of a post from its :func:`~bot.domain.text.tokenize` tokens."""
    scores = [0.0] * _N
    latin = 0
    other_script = 0
    profiles = _PROFILES
    for tok in tokens:
        prof = profiles.get(tok)
        if prof is None:
            if len(profiles) >= _PROFILE_LIMIT:
                profiles.clear()
            prof = profiles[tok] = _profile(tok)
        hits, lat, oth = prof
        for i, w in hits:
            scores[i] += w
        latin += lat
        other_script += oth
    if other_script > latin:
        return "other"
    best = max(range(_N), key=scores.__getitem__)
    if scores[best] <= 0.0:
        return "en" if latin else "other"
    if best == _FR_I:
        return "fr"
    if best == _EN_I:
        return "en"
    # Another Latin language won; still call it French/English if it barely did.
    runner = max(scores[_FR_I], scores[_EN_I])
    if runner > 0.0 and scores[best] - runner < 0.5:
        return "fr" if scores[_FR_I] >= scores[_EN_I] else "en"
    return "other"


def detect_language(text: str) -> str:
    """``"fr"``, ``"en"`` or ``"other"`` for a post (raw or normalised)."""
    return detect_language_tokens(tokenize(text))
