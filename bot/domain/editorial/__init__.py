"""The editorial line: how a tenant's executives speak on X, as decided by the comms team.

One `EditorialLine` per tenant and per version. It is plain data (pydantic v2, frozen), loaded
from and saved to YAML. Every validation problem is coded and *located*
(`hashtags.forbidden[2]: ...`) and, when the line came from YAML, carries its line and column
(the tenant-document kit, `bot/domain/documents`).

- `policies`: the line's parts (company, voice, pillars, avoid, hashtags, mentions, links,
  emoji, disclosures, crisis, samples), each validating itself;
- `line`: the `EditorialLine`, its whole-line checks, placeholders and (de)serialisation;
- `history`: `EditorialHistory`, every version of a tenant's line, and roll-back;
- `folding`: `fold` / `fold_char` / `hashtag_key`, shared with the compliance checker.
"""

from bot.domain.documents import Problem, format_loc
from bot.domain.editorial.folding import fold, fold_char, hashtag_key
from bot.domain.editorial.history import EditorialHistory, UnknownVersion
from bot.domain.editorial.line import Editor, EditorialError, EditorialLine, Revision
from bot.domain.editorial.policies import (
    LANGS,
    MAX_POST_LENGTH,
    AvoidTerm,
    Company,
    CrisisGuidance,
    DisclosureRule,
    EmojiPolicy,
    HashtagPolicy,
    Lang,
    LinkPolicy,
    MentionPolicy,
    Pillar,
    SamplePost,
    Severity,
    Spokesperson,
    Voice,
    domain_matches,
)

__all__ = [
    "LANGS",
    "MAX_POST_LENGTH",
    "AvoidTerm",
    "Company",
    "CrisisGuidance",
    "DisclosureRule",
    "Editor",
    "EditorialError",
    "EditorialHistory",
    "EditorialLine",
    "EmojiPolicy",
    "HashtagPolicy",
    "Lang",
    "LinkPolicy",
    "MentionPolicy",
    "Pillar",
    "Problem",
    "Revision",
    "SamplePost",
    "Severity",
    "Spokesperson",
    "UnknownVersion",
    "Voice",
    "domain_matches",
    "fold",
    "fold_char",
    "format_loc",
    "hashtag_key",
]
