"""Offline intent classifier: what an executive asks the bot, in French or English.

`understand(text, lang_hint, previous, competitors=..., topics_hint=...)` returns an
`Understanding` (intent, answer language, period, topic / competitor / post slots, follow-up flag,
confidence). Pure, deterministic, standard library plus the pure `bot.domain` helpers; a few
tens of microseconds per question (the coach retrieval is consulted only for weak questions).

How it works:

1. The question is case- and accent-folded and cut into word tokens, each remembering its span
   in the original text (slots are returned as the user wrote them). Links to posts are read
   first (`post_ref` = the status id).
2. Typos: a token unknown to the lexicons is replaced by the closest lexicon word within a small
   edit distance (1 from 5 letters, 2 from 8), found through a deletion index (SymSpell style).
3. Every intent has weighted cue phrases (`_CUES`); the score of an intent is the sum of the
   weights of its cue tiers found. Structural bonuses: a named competitor, a topic hint, a link
   to a post, a time of day (briefing). Weak questions that read like a question about X itself
   ask `coach.looks_like_x_question`.
4. "What is said about …" questions become PULSE, TOPIC or COMPETITORS depending on their
   object (us / a topic / a competitor).
5. Follow-ups ("et hier ?", "why?", "et chez Voltigo ?", "more", "plus court") inherit the
   previous understanding and override what they say, with `follow_up=True`.
6. Confidence: `s / (s + 2.5)` of the best score `s`, lowered when a second intent is close.
   Below `CONFIDENCE_THRESHOLD` the intent is UNKNOWN (its confidence is then that of the best
   rejected guess). Inputs that look like prompt injection can only yield read-only intents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Final

from bot.domain.language import detect_language
from bot.domain.text import fold_accents, strip_hidden
from bot.ports.language import Intent, Period, Understanding

__all__ = ["CONFIDENCE_THRESHOLD", "MAX_TOPIC_CHARS", "understand", "warm_up"]

CONFIDENCE_THRESHOLD: Final = 0.5
"""Below this confidence the question is UNKNOWN (a score of 2.5, one weak cue, is exactly 0.5)."""
MAX_TOPIC_CHARS: Final = 80
"""A topic or draft brief longer than this is cut (at a word boundary)."""
_MAX_INPUT: Final = 600  # characters classified; the rest is ignored
_SCORE_SCALE: Final = 2.5

# --------------------------------------------------------------------------------------------
# Lexicons (folded: lower case, no accents; "*" ends a prefix, "_" is any one word)
# --------------------------------------------------------------------------------------------

_SMALLTALK: Final = "smalltalk"


def _words(text: str) -> list[str]:
    return text.split()


_CUES: Final[dict[str, dict[float, tuple[str, ...]]]] = {
    Intent.PULSE: {
        3.0: (
            "que dit on",
            "qu est ce qu on dit",
            "qu est ce qui se dit",
            "ce qui se dit",
            "ce qu on dit",
            "on dit quoi",
            "dit on de nous",
            "parle de nous",
            "parle t on",
            "on parle de",
            "parlent de nous",
            "parle t on de nous",
            "que disent",
            "disent les gens",
            "les gens disent",
            "que pensent",
            "pensent de nous",
            "pense de nous",
            "on pense de",
            "what are people saying",
            "what do people say",
            "what are they saying",
            "what is being said",
            "what s being said",
            "what s said",
            "what is said",
            "what are people tweeting",
            "what people say",
            "what people are saying",
            "saying about",
            "say about",
            "talking about us",
            "talk about us",
            "said about",
            "think of us",
            "think about us",
            "people think",
            "customers think",
            "clients pensent",
            "how are we perceived",
            "how are we doing",
            "how are we seen",
            "comment sommes nous",
            "comment on est",
            "comment nous percoit",
            "comment est percue",
            "comment est percu",
            "notre reputation",
            "our reputation",
            "e reputation",
            "image de marque",
            "brand image",
            "le pouls",
            "the pulse",
            "pulse",
            "prends le pouls",
            "tour d horizon",
            "overview",
            "quoi de neuf",
            "what s new",
            "what s up",
            "quelles nouvelles",
            "du nouveau",
            "la temperature",
            "l ambiance",
            "the mood",
            "the vibe",
            "le sentiment",
            "the sentiment",
            "sentiment general",
            "overall sentiment",
            "how s the sentiment",
            "quel est le buzz",
            "le buzz",
            "the buzz",
            "any buzz",
            "du buzz",
            "la perception",
            "perception",
            "percu",
            "ke dit on",
            "kesk on dit",
            "koi de neuf",
            "percue",
            "percus",
            "perceived",
            "ressenti",
            "le ressenti",
            "avis des gens",
            "opinion",
            "l opinion",
            "on en pense",
            "ca donne quoi",
            "how is it going",
            "how s it going",
            "ca se passe comment",
            "comment ca se passe",
            "combien de posts",
            "combien de tweets",
            "combien de mentions",
            "combien de messages",
            "how many posts",
            "how many tweets",
            "how many mentions",
            "volume de mentions",
            "mention volume",
            "volume of mentions",
            "le volume",
            "the volume",
            "ecrit sur nous",
            "written about us",
            "on nous mentionne",
            "mentioned",
            "mentionne",
            "nous cite",
            "resume de la journee",
            "fais le point",
            "faire le point",
            "point sur",
            "un point",
            "give me a summary",
            "sum up",
            "en resume",
            "how was",
            "comment c etait",
            "what s the word",
            "on en dit quoi",
            "ca parle de nous",
            "les retours",
            "feedback",
            "reactions",
            "les reactions",
            "how did people react",
            "les gens reagissent",
            "people reacting",
            "reagissent",
        ),
        1.5: ("resume", "summary", "recap", "bilan", "mentions", "tonalite", "tone", "ton"),
        1.0: ("negatif", "positif", "negative", "positive", "nous", "us"),
    },
    Intent.TOPIC: {
        3.0: (
            "a propos de",
            "au sujet de",
            "concernant",
            "regarding",
            "avis sur",
            "retours sur",
            "feedback on",
            "feedback about",
            "complaints",
            "complaint",
            "plaintes",
            "plainte",
            "se plaignent",
            "complaining",
            "reclamations",
            "critiques sur",
            "criticism of",
            "how is our",
            "how s our",
            "comment va notre",
            "comment est notre",
            "comment se porte",
            "le sujet",
            "the topic",
            "sujet",
            "topic",
            "theme",
        ),
    },
    Intent.COMPETITORS: {
        3.0: (
            "concurren*",
            "competitor*",
            "competition",
            "rival*",
            "versus",
            "vs",
            "compar*",
            "benchmark*",
            "par rapport a",
            "face a",
            "part de voix",
            "share of voice",
            "stack up",
            "how do we compare",
            "mieux que",
            "better than",
            "worse than",
            "moins bien que",
            "plus que nous",
            "more than us",
            "les autres marques",
            "other brands",
            "autres fabricants",
            "other makers",
            "other manufacturers",
            "chez les autres",
            "ahead of us",
            "devant nous",
            "concurrents",
        ),
    },
    Intent.CRISIS: {
        3.0: (
            "crise",
            "crises",
            "crisis",
            "bad buzz",
            "badbuzz",
            "polemique",
            "polemiques",
            "controvers*",
            "s inquieter",
            "inquiet*",
            "worr*",
            "shitstorm",
            "backlash",
            "boycott*",
            "scandale",
            "scandal",
            "tempete",
            "firestorm",
            "storm",
            "degenere",
            "ca chauffe",
            "emballe",
            "emballement",
            "blowing up",
            "blow up",
            "going viral",
            "buzz negatif",
            "negative buzz",
            "menace",
            "threat",
            "urgence",
            "urgent",
            "flambee",
            "brewing",
            "se prepare",
            "couve",
            "incendie",
            "panique",
            "panic",
            "drama",
            "concerned",
            "alarm*",
            "alarmant",
            "quelque chose de grave",
            "ca sent mauvais",
            "hostile",
            "attaque",
            "attaques",
            "under attack",
            "danger",
            "dangereux",
            "risque de reputation",
            "reputational risk",
            "niveau d alerte",
            "alert level",
            "niveau de risque",
            "risk level",
            "est ce grave",
            "c est grave",
            "is it serious",
            "is it bad",
            "out of hand",
            "enfle",
            "pr crisis",
            "reputation risk",
            "escalat*",
            "harcelement",
            "pile on",
            "shitstorm",
            "tourmente",
            "mauvaise passe",
            "derape",
            "derapage",
            "spike",
            "pic de",
            "explose",
            "explosion",
            "s envenime",
        ),
        2.0: (
            "alerte",
            "alert",
            "risque",
            "risk",
            "grave",
            "serious",
            "probleme",
            "problem",
            "souci",
            "something wrong",
            "viral",
            "feu",
            "fire",
            "rappel",
            "recall",
        ),
    },
    Intent.TRENDS: {
        3.0: (
            "tendance*",
            "trend*",
            "secteur",
            "sector",
            "industry",
            "industrie",
            "filiere",
            "le marche",
            "du marche",
            "notre marche",
            "the market",
            "market",
            "hot topics",
            "sujets chauds",
            "sujets du moment",
            "what s hot",
            "what s moving",
            "ce qui bouge",
            "ce qui buzze",
            "in our space",
            "dans notre domaine",
            "notre domaine",
            "our field",
            "our industry",
            "dans le secteur",
            "in the sector",
            "ce qui monte",
            "what s rising",
            "sujets qui montent",
            "de quoi parle le",
            "de quoi on parle dans",
            "what is the sector",
            "what s the sector",
            "les sujets",
            "the topics",
            "dans la mobilite",
            "in mobility",
            "micromobilite",
            "micromobility",
        ),
        1.5: (
            "velo electrique",
            "velos electriques",
            "vae",
            "e bike",
            "ebike",
            "e bikes",
            "ebikes",
            "mobilite",
            "mobility",
            "velo cargo",
            "cargo bikes",
            "pistes cyclables",
            "bike lanes",
            "cycling",
            "vélotaf",
            "velotaf",
            "bonus velo",
        ),
    },
    Intent.SHOW_POSTS: {
        3.0: (
            "plus de posts",
            "plus de tweets",
            "more posts",
            "more tweets",
            "other posts",
            "other tweets",
            "autres posts",
            "autres tweets",
            "d autres posts",
            "d autres tweets",
            "encore des posts",
            "quelques posts",
            "quelques tweets",
            "some posts",
            "some tweets",
            "exemples de posts",
            "exemples de tweets",
            "examples of posts",
            "example posts",
            "example tweets",
            "examples of tweets",
            "les posts",
            "les tweets",
            "the posts",
            "the tweets",
            "ces posts",
            "ces tweets",
            "those posts",
            "those tweets",
            "top posts",
            "top tweets",
            "les messages",
            "the messages",
            "quels posts",
            "quels tweets",
            "which posts",
            "which tweets",
            "posts les plus",
            "tweets les plus",
            "most _ posts",
            "most _ tweets",
            "most _ post",
            "most _ tweet",
            "les _ posts",
            "les _ tweets",
            "the _ posts",
            "the _ tweets",
            "les sources",
            "the sources",
            "les liens",
            "the links",
            "show me examples",
            "the actual",
            "voir les",
            "posts negatifs",
            "posts positifs",
            "negative posts",
            "positive posts",
            "tweets negatifs",
            "negative tweets",
            "cites",
            "quoted posts",
            "receipts",
        ),
        1.5: (
            "montre",
            "montrez",
            "montre moi",
            "affiche",
            "show",
            "show me",
            "let me see",
            "je veux voir",
            "lis moi",
            "read me",
            "donne moi",
            "give me",
            "list",
            "liste",
            "exemples",
            "examples",
            "posts",
            "tweets",
            "messages",
            "publications",
            "sources",
            "liens",
            "links",
        ),
    },
    Intent.EXPLAIN: {
        2.0: (
            "c est quoi",
            "qu est ce que",
            "qu est ce qu",
            "what is a",
            "what is an",
            "what s a",
            "what s an",
            "what are",
            "what does",
            "que veut dire",
            "ca veut dire",
            "veut dire quoi",
            "signifie",
            "mean",
            "means",
            "meaning",
            "comment ca marche",
            "ca marche comment",
            "comment marche",
            "comment fonctionne",
            "how does",
            "how do i",
            "how to",
            "how can i",
            "how do you",
            "comment faire",
            "comment on fait",
            "comment fait on",
            "comment puis je",
            "comment je",
            "explique*",
            "explain*",
            "definition",
            "c koi",
            "c est koi",
            "kesako",
            "keskece",
            "difference entre",
            "difference between",
            "quelle difference",
            "best practice*",
            "bonnes pratiques",
            "bonne pratique",
            "conseil*",
            "tips",
            "astuce*",
            "should i use",
            "faut il utiliser",
            "when should i",
            "quand poster",
            "quand publier",
            "meilleur moment",
            "best time",
            "how often",
            "how long",
            "how many hashtags",
            "combien de hashtags",
            "comprendre",
            "understand",
            "a quoi sert",
            "a quoi servent",
            "what for",
            "can i",
            "peut on",
            "puis je",
            "est il possible",
            "is it possible",
            "why does",
            "why do",
            "pourquoi mes",
            "pourquoi mon",
            "pourquoi les",
            "como",
        ),
        1.0: ("comment", "how", "faut il", "should i", "should we", "pourquoi", "why"),
    },
    "x_vocab": {
        2.0: (
            "thread",
            "threads",
            "fil",
            "hashtag",
            "hashtags",
            "hastag",
            "hashtg",
            "quote post",
            "quote",
            "quote tweet",
            "citation",
            "citer",
            "retweet",
            "retweets",
            "repost",
            "reposts",
            "rt",
            "mention",
            "ratio",
            "ratioed",
            "community notes",
            "community note",
            "notes de la communaute",
            "note de communaute",
            "algorithm*",
            "algo",
            "dm",
            "dms",
            "message prive",
            "messages prives",
            "bookmark*",
            "signet*",
            "epingl*",
            "pin",
            "pinned",
            "bio",
            "handle",
            "spaces",
            "space",
            "verifi*",
            "certifi*",
            "badge",
            "blue check",
            "coche bleue",
            "coche",
            "followers",
            "follower",
            "abonnes",
            "timeline",
            "for you",
            "pour vous",
            "like",
            "likes",
            "j aime",
            "impressions",
            "vues",
            "views",
            "grok",
            "premium",
            "troll",
            "trolls",
            "bloquer",
            "block",
            "mute",
            "masquer",
            "listes",
            "lists",
            "sondage",
            "poll",
            "polls",
            "visibilite",
            "visibility",
            "reach",
            "portee",
            "arobase",
            "identifiant",
            "emoji",
            "emojis",
            "emoticones",
            "gif",
            "gifs",
        ),
        0.5: (
            "tweet",
            "post",
            "poster",
            "tweeter",
            "engagement",
            "compte",
            "account",
            "profil",
            "profile",
            "twitter",
            "sur x",
            "on x",
        ),
    },
    Intent.SHOULD_RESPOND: {
        4.0: (
            "dois je repondre",
            "devrais je repondre",
            "doit on repondre",
            "devrait on repondre",
            "faut il lui repondre",
            "faut il y repondre",
            "faut il repondre a ce",
            "faut il repondre a cet",
            "faut il repondre a cette",
            "faut il repondre a ca",
            "on repond",
            "je reponds",
            "je lui reponds",
            "on lui repond",
            "repondre a ce",
            "repondre a cet",
            "repondre a cette",
            "repondre a ca",
            "repondre a celui",
            "should i respond",
            "should i reply",
            "should i answer",
            "should we respond",
            "should we reply",
            "should we answer",
            "do we respond",
            "do we reply",
            "do i reply",
            "do i respond",
            "do we answer",
            "respond to this",
            "reply to this",
            "answer this",
            "respond to that",
            "reply to that",
            "respond to him",
            "respond to her",
            "reply to him",
            "reply to her",
            "worth replying",
            "worth responding",
            "worth a reply",
            "worth a response",
            "vaut le coup de repondre",
            "vaut la peine de repondre",
            "merite une reponse",
            "deserves a reply",
            "deserves a response",
            "react to this",
            "reagir a ce",
            "reagir a cette",
            "on reagit",
            "should we react",
            "should i react",
            "dois je reagir",
            "faut il reagir",
            "repondre ou pas",
            "reply or not",
            "respond or not",
            "ignorer ce",
            "ignore this",
            "answer him",
            "answer her",
            "lui repondre",
            "reply to it",
            "respond to it",
        ),
        2.0: ("faut il repondre", "repondre", "respond", "reply", "answer", "reponse"),
    },
    Intent.DRAFT: {
        4.0: (
            "propose un tweet",
            "propose un post",
            "propose moi un",
            "propose une publication",
            "proposer un",
            "propose nous un",
            "proposez un",
            "proposez moi",
            "propose un message",
            "redige",
            "rediger",
            "redigez",
            "redige moi",
            "ecris",
            "ecrire",
            "ecrivez",
            "ecris moi",
            "draft",
            "write a",
            "write me",
            "write something",
            "write up",
            "compose",
            "prepare un tweet",
            "prepare un post",
            "prepare un message",
            "prepare a post",
            "prepare a tweet",
            "suggest a post",
            "suggest a tweet",
            "suggere un",
            "suggere moi",
            "suggestion de post",
            "suggestion de tweet",
            "idee de post",
            "idee de tweet",
            "idees de posts",
            "idees de tweets",
            "post idea",
            "tweet idea",
            "ideas for a post",
            "ideas for a tweet",
            "what should i tweet",
            "what should i post",
            "what should we post",
            "what should we tweet",
            "que poster",
            "quoi poster",
            "que tweeter",
            "quoi tweeter",
            "help me write",
            "aide moi a ecrire",
            "fais moi un tweet",
            "fais moi un post",
            "fais un tweet",
            "fais un post",
            "un tweet pour",
            "un post pour",
            "a tweet for",
            "a post for",
            "a tweet about",
            "a post about",
            "un tweet sur",
            "un post sur",
            "un petit tweet",
            "un petit post",
            "a short post",
            "a quick tweet",
            "a quick post",
            "brouillon",
            "tweete que",
            "poste que",
            "publie un",
            "publish a",
            "annonce sur x",
            "announce on x",
            "message pour annoncer",
            "tweet to announce",
            "post to announce",
            "un tweet de",
            "un post de",
            "a tweet thanking",
            "a post thanking",
            "tweet de remerciement",
            "post de remerciement",
            "holding statement",
            "propose moi",
            "propose nous",
            "propose _ posts",
            "propose _ tweets",
            "propose des posts",
            "propose des tweets",
            "propose quelques",
            "draft _ tweets",
            "draft _ posts",
            "message d attente",
            "rediges",
            "reformule",
            "rephrase",
        ),
        2.0: ("publie", "publish", "post this", "tweet this", "tweete", "propose", "suggest"),
    },
    Intent.EDITORIAL_LINE: {
        4.0: (
            "ligne editoriale",
            "ligne edito",
            "editorial line",
            "editorial guidelines",
            "editorial policy",
            "politique editoriale",
            "charte",
            "guidelines",
            "style guide",
            "guide de style",
            "tone of voice",
            "ton de marque",
            "ton de la marque",
            "brand voice",
            "voix de marque",
            "voix de la marque",
            "nos regles",
            "our rules",
            "regles de publication",
            "posting rules",
            "messages cles",
            "key messages",
            "piliers",
            "pillars",
            "mots interdits",
            "mots a eviter",
            "words to avoid",
            "forbidden words",
            "banned words",
            "hashtags autorises",
            "allowed hashtags",
            "hashtags interdits",
            "forbidden hashtags",
            "ce qu on a le droit",
            "interdit",
            "interdits",
            "forbidden",
            "banned",
            "not allowed",
            "must avoid",
            "a eviter",
            "avoid",
            "le droit d utiliser",
            "allowed to use",
            "autorises",
            "autorise",
            "what are we allowed",
            "ligne",
            "editoriale",
            "editorial",
        ),
    },
    Intent.BRIEFING: {
        4.0: (
            "briefing",
            "briefings",
            "brief quotidien",
            "brief du matin",
            "daily brief",
            "morning brief",
            "digest",
            "resume quotidien",
            "resume du matin",
            "recap quotidien",
            "recap du matin",
            "daily summary",
            "daily recap",
            "morning summary",
            "abonne moi",
            "abonnez moi",
            "m abonner",
            "subscribe",
            "unsubscribe",
            "subscription",
            "desabonne*",
            "desinscri*",
            "opt out",
            "previens moi",
            "prevenez moi",
            "alerte moi",
            "alert me",
            "notify me",
            "m alerter",
            "me prevenir",
            "m avertir",
            "envoie moi chaque",
            "send me every",
            "send me a daily",
            "chaque matin",
            "every morning",
            "tous les matins",
            "each morning",
            "change l heure",
            "changer l heure",
            "change the time",
            "heure du",
            "le matin a",
            "in the morning at",
            "abonnement",
        ),
        2.0: (
            "daily",
            "quotidien",
            "tous les jours",
            "every day",
            "notification*",
            "weekends",
            "week end",
            "le weekend",
            "pause",
            "reprends",
            "resume it",
            "plus tot",
            "earlier",
            "plus tard",
            "later",
        ),
    },
    Intent.HELP: {
        2.0: ("bot", "assistant", "chatbot"),
        3.0: (
            "aide",
            "help",
            "que sais tu faire",
            "que peux tu faire",
            "tu sais faire quoi",
            "tu fais quoi",
            "what can you do",
            "what do you do",
            "how does this bot work",
            "how do i use you",
            "how to use you",
            "how do i use this",
            "comment t utiliser",
            "comment utiliser pulse",
            "comment utiliser ce bot",
            "comment ca marche ce bot",
            "ce bot",
            "this bot",
            "the bot",
            "le bot",
            "use you",
            "t utiliser",
            "te demander",
            "ask you",
            "commandes",
            "commands",
            "menu",
            "mode d emploi",
            "tu sers a quoi",
            "a quoi tu sers",
            "what are you",
            "who are you",
            "qui es tu",
            "getting started",
            "how does pulse work",
            "fonctionnalites",
            "features",
            "what can i ask",
            "que puis je te demander",
            "qu est ce que je peux te demander",
            "tes capacites",
            "your capabilities",
            "comment tu marches",
            "how do you work",
            "user guide",
            "manuel",
        ),
    },
    _SMALLTALK: {
        2.5: (
            "bonjour",
            "hello",
            "hi",
            "salut",
            "merci",
            "thanks",
            "thank you",
            "ok",
            "okay",
            "super",
            "cool",
            "bravo",
            "coucou",
            "bonne journee",
            "hey",
            "bonsoir",
            "good morning",
            "great",
            "parfait",
            "perfect",
            "top",
            "genial",
            "au revoir",
            "bye",
            "a plus",
            "lol",
            "haha",
            "ca va",
            "how are you",
            "comment vas tu",
            "comment allez vous",
            "yes",
            "no",
            "oui",
            "non",
            "d accord",
            "nice",
            "blague",
            "joke",
            "meteo",
            "weather",
            "recette",
            "recipe",
            "capitale",
            "capital of",
            "foot",
            "football",
            "horoscope",
            "poeme",
            "poem",
            "chanson",
            "song",
        ),
    },
}

# Follow-up cues.
_FOLLOW_OPENERS: Final = (
    "et",
    "and",
    "what about",
    "how about",
    "et pour",
    "et cote",
    "et chez",
    "et sur",
    "et avec",
    "and for",
    "and on",
    "and at",
    "ok et",
    "ok and",
    "alors et",
    "et du cote",
    "et niveau",
    "same for",
    "pareil pour",
    "meme chose pour",
    "idem pour",
    "and what about",
    "et qu en est il",
    "qu en est il",
    "and how about",
    "et en",
    "and in",
)
_WHY: Final = (
    "pourquoi",
    "why",
    "comment ca",
    "how come",
    "c est a dire",
    "meaning",
    "explique",
    "explain",
    "details",
    "detaille",
    "precise",
    "elaborate",
    "tell me more",
    "dis m en plus",
    "en savoir plus",
    "plus de details",
    "more details",
    "pour quelle raison",
    "for what reason",
    "d ou ca vient",
    "where does it come from",
    "la cause",
    "the cause",
)
_MORE: Final = (
    "more",
    "plus",
    "encore",
    "d autres",
    "others",
    "other ones",
    "la suite",
    "next",
    "suivants",
    "the next ones",
    "show more",
    "see more",
    "voir plus",
    "en voir plus",
    "d autres exemples",
    "more examples",
    "autres",
    "continue",
    "continuer",
)
_REVISIONS: Final = (
    "plus court",
    "plus courte",
    "plus concis",
    "shorter",
    "more concise",
    "moins formel",
    "less formal",
    "plus formel",
    "more formal",
    "en anglais",
    "in english",
    "en francais",
    "in french",
    "plus chaleureux",
    "warmer",
    "plus sobre",
    "more sober",
    "autre version",
    "another version",
    "une autre",
    "another one",
    "refais",
    "redo",
    "reformule",
    "rephrase",
    "sans hashtag",
    "without hashtag",
    "without hashtags",
    "sans hashtags",
    "sans emoji",
    "without emoji",
    "without emojis",
    "no emoji",
    "no hashtag",
    "plus long",
    "longer",
    "plus percutant",
    "punchier",
    "more casual",
    "plus decontracte",
    "change le ton",
    "different tone",
    "try again",
    "recommence",
    "encore une",
    "une variante",
    "a variant",
    "moins long",
    "less long",
    "plus simple",
    "simpler",
    "plus direct",
    "more direct",
    "plus positif",
    "more positive",
    "moins commercial",
    "less salesy",
    "translate",
    "traduis",
    "version anglaise",
    "english version",
    "version francaise",
    "french version",
    "tutoie",
    "vouvoie",
    "plus engageant",
    "more engaging",
)

_PERIODS: Final[dict[Period, tuple[str, ...]]] = {
    Period.YESTERDAY: ("hier", "yesterday", "yday", "d hier", "veille"),
    Period.LAST_24H: (
        "24h",
        "24 h",
        "24 heures",
        "24 hours",
        "24hrs",
        "24 hrs",
        "dernieres 24",
        "last 24",
        "past 24",
        "depuis hier",
        "since yesterday",
        "past day",
        "last day",
        "derniere journee",
        "vingt quatre heures",
        "dernieres 24 heures",
        "dernieres 24h",
        "last 24 hours",
        "past 24 hours",
        "24 dernieres heures",
    ),
    Period.THIS_WEEK: (
        "cette semaine",
        "this week",
        "semaine en cours",
        "depuis lundi",
        "since monday",
        "la semaine",
        "the week",
        "de la semaine",
        "this wk",
    ),
    Period.LAST_7_DAYS: (
        "7 derniers jours",
        "sept derniers jours",
        "7 jours",
        "sept jours",
        "last 7 days",
        "past 7 days",
        "last seven days",
        "past seven days",
        "7 days",
        "seven days",
        "semaine derniere",
        "last week",
        "past week",
        "depuis une semaine",
        "ces derniers jours",
        "past few days",
        "last few days",
        "les derniers jours",
        "recent days",
        "une semaine",
        "a week",
    ),
    Period.TODAY: (
        "aujourd hui",
        "aujourdhui",
        "auj",
        "today",
        "ce matin",
        "this morning",
        "tonight",
        "ce soir",
        "cet apres midi",
        "this afternoon",
        "du jour",
        "ce jour",
        "so far today",
        "en ce moment",
        "right now",
        "currently",
        "actuellement",
        "maintenant",
        "now",
    ),
}

# Words around a topic that are not the topic.
_LEAD_WORDS: Final = frozenset(
    _words(
        """
    de du des d sur about on of regarding concerning around la le les l notre nos our the my mon
    ma mes leur leurs their its son sa ses un une a an ce cet cette ces this that these those
    propos sujet au aux concernant autour avec with for pour en in at chez vis the et and so
    alors donc nouvelle nouveau new dernieres derniers derniere dernier
    """
    )
)
_SELF_WORDS: Final = frozenset(
    _words(
        """
    nous nou us we me moi marque brand entreprise company societe boite groupe group firm maison
    enseigne nom name moi meme ourselves
    """
    )
)
_NOISE_PHRASES: Final = (
    "sur x",
    "on x",
    "sur twitter",
    "on twitter",
    "en ce moment",
    "right now",
    "lately",
    "recently",
    "recemment",
    "ces derniers temps",
    "ces jours ci",
    "en ligne",
    "online",
    "actuellement",
    "currently",
    "svp",
    "stp",
    "please",
    "s il vous plait",
    "s il te plait",
    "les gens",
    "people",
    "exactement",
    "exactly",
    "en general",
    "in general",
    "so far",
    "jusqu ici",
    "jusqu a present",
    "today",
    "aujourd hui",
    "x",
    "twitter",
    "sur les reseaux",
    "these days",
    "ces jours",
    "nowadays",
    "en bien ou en mal",
    "en bien",
    "en mal",
    "good or bad",
    "positively or negatively",
    "in a good way",
    "les reseaux",
    "reseaux sociaux",
    "sur les reseaux sociaux",
    "social media",
    "on social media",
)
_COMPETITOR_LEADS: Final = (
    "chez",
    "vs",
    "versus",
    "contre",
    "compared to",
    "compare to",
    "comparing",
    "compare a",
    "comparer a",
    "compare nous a",
    "par rapport a",
    "than",
    "against",
    "face a",
    "vis a vis de",
    "with",
    "avec",
)
_GENERIC_OTHERS: Final = frozenset(
    _words(
        """
    concurrence concurrents concurrent competitors competitor competition others autres eux them
    rivaux rivals marques brands fabricants secteur sector industry march market l la le les the
    des de du d a an un une leurs their ses nous us moi me notre nos our
    """
    )
)
_INJECTION_RE: Final = re.compile(
    r"\b(?:ignore[sz]?|oublie[sz]?|forget|disregard)\b.{0,40}\b(?:instructions?|consignes?|"
    r"prompts?|rules?|regles?|above|precedent\w*|previous)\b"
    r"|\bsystem prompt\b|\bprompt systeme\b|\byou are now\b|\btu es maintenant\b"
    r"|\bjailbreak\b|\bdeveloper mode\b|\bmode developpeur\b|\bact as\b|\bpretend\b"
    r"|\bnew instructions?\b|\bnouvelles? instructions?\b|\boverride\b|\bsudo\b"
)
_SAFE_UNDER_INJECTION: Final = frozenset(
    {
        Intent.PULSE,
        Intent.TOPIC,
        Intent.COMPETITORS,
        Intent.CRISIS,
        Intent.TRENDS,
        Intent.SHOW_POSTS,
        Intent.EXPLAIN,
        Intent.HELP,
    }
)
_INHERITABLE: Final = frozenset(
    {
        Intent.PULSE,
        Intent.TOPIC,
        Intent.COMPETITORS,
        Intent.CRISIS,
        Intent.TRENDS,
        Intent.SHOW_POSTS,
        Intent.SHOULD_RESPOND,
        Intent.DRAFT,
        Intent.EXPLAIN,
        Intent.EDITORIAL_LINE,
        Intent.BRIEFING,
    }
)
# Words that settle the language of a very short question.
_SHORT_FR: Final = frozenset(
    _words(
        "et hier pourquoi aujourd hui semaine encore autres quoi merci bonjour salut aide oui non "
        "chez plus court anglais francais montre concurrents tendances crise ligne"
    )
)
_SHORT_EN: Final = frozenset(
    _words(
        "and yesterday why today week more others what thanks hello hi yes no shorter english "
        "french show competitors trends crisis line about"
    )
)
# Words kept as they are (never typo-corrected into a cue word).
_PROTECTED: Final = frozenset(
    _words(
        """
    prise brise crisp poste postes ecrit ecrits ecrite prime aider aides ligne lignes heure
    heures their there these those where which while would could should about after again
    quelle quelles quels comment notre votre leurs nouvelle nouveau cette avoir faire dire
    batterie battery batteries appli application livraison delivery prix price service
    clients client produit product lancement launch marque brand semaine moins autre autres
    bonne bonnes people think thing things plait quelque chose grave grace sorte sortie
    """
    )
)

_URL_POST_RE: Final = re.compile(
    r"(?i)\b(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[\w]+|i/web)/status(?:es)?/"
    r"(\d{5,25})"
)
_BARE_ID_RE: Final = re.compile(r"(?<![\w/])(\d{15,25})(?![\w/])")
_TIME_RE: Final = re.compile(r"(?<![\w:])(?:[01]?\d|2[0-3])(?: ?h(?: ?\d\d)?| ?[ap]m|:\d\d)(?!\w)")
_WORD_RE: Final = re.compile(r"[a-z0-9]+")
_CUT_PUNCT: Final = frozenset('?.!;:,\n()[]"«»')


# --------------------------------------------------------------------------------------------
# Compiled lexicons
# --------------------------------------------------------------------------------------------


def _phrase_regex(phrases: Sequence[str]) -> re.Pattern[str]:
    return re.compile("(?<= )(?:" + _alternation(phrases) + ")(?= )")


def _alternation(phrases: Sequence[str]) -> str:
    parts = []
    for phrase in sorted(set(phrases), key=lambda p: (-len(p), p)):
        words = []
        for word in phrase.split():
            if word == "_":
                words.append("[a-z0-9]+")
            elif word.endswith("*"):
                words.append(re.escape(word[:-1]) + "[a-z0-9]*")
            else:
                words.append(re.escape(word))
        parts.append(" ".join(words))
    return "|".join(parts)


@dataclass(frozen=True, slots=True)
class _Lexicon:
    tiers: tuple[tuple[str, float, re.Pattern[str]], ...]
    periods: tuple[tuple[Period, re.Pattern[str]], ...]
    openers: re.Pattern[str]
    why: re.Pattern[str]
    more: re.Pattern[str]
    revisions: re.Pattern[str]
    noise: re.Pattern[str]
    competitor_leads: re.Pattern[str]
    vocab: frozenset[str]
    prefixes: tuple[str, ...]  # "trend*" protects "trending" from typo correction
    generic: frozenset[str]  # words of "what is said about" cues: never a topic on their own
    deletes: dict[str, tuple[str, ...]]


def _deletions(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt: set[str] = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


@cache
def _lexicon() -> _Lexicon:
    tiers = []
    words: set[str] = set(_PROTECTED)
    all_phrases: list[str] = []
    for intent, by_weight in _CUES.items():
        for weight, phrases in by_weight.items():
            tiers.append((str(intent), weight, _phrase_regex(phrases)))
            all_phrases.extend(phrases)
    groups = (_FOLLOW_OPENERS, _WHY, _MORE, _REVISIONS, _NOISE_PHRASES, _COMPETITOR_LEADS)
    for group in groups:
        all_phrases.extend(group)
    for phrases in _PERIODS.values():
        all_phrases.extend(phrases)
    for phrase in all_phrases:
        for word in phrase.split():
            if word != "_":
                words.add(word.rstrip("*"))
    words |= _LEAD_WORDS | _SELF_WORDS | _GENERIC_OTHERS
    index: dict[str, set[str]] = {}
    for word in words:
        if len(word) < 5 or word.isdigit():
            continue
        for d in _deletions(word, 2 if len(word) >= 8 else 1):
            index.setdefault(d, set()).add(word)
    return _Lexicon(
        tiers=tuple(tiers),
        periods=tuple((p, _phrase_regex(ph)) for p, ph in _PERIODS.items()),
        openers=re.compile(r"^ (?:" + _alternation(_FOLLOW_OPENERS) + r") "),
        why=_phrase_regex(_WHY),
        more=_phrase_regex(_MORE),
        revisions=_phrase_regex(_REVISIONS),
        noise=_phrase_regex(_NOISE_PHRASES),
        competitor_leads=_phrase_regex(_COMPETITOR_LEADS),
        vocab=frozenset(words),
        prefixes=tuple(sorted({w[:-1] for p in all_phrases for w in p.split() if w.endswith("*")})),
        generic=frozenset(
            w
            for intent in (Intent.PULSE, Intent.TOPIC, Intent.CRISIS, _SMALLTALK)
            for phrases in _CUES[intent].values()
            for phrase in phrases
            for w in phrase.split()
            if w not in _PROTECTED
        )
        | frozenset(w for p in _NOISE_PHRASES for w in p.split()),
        deletes={k: tuple(sorted(v)) for k, v in index.items()},
    )


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, or `limit + 1` when it is over `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _correct(token: str, lex: _Lexicon) -> str:
    if len(token) < 5 or token in lex.vocab or not token.isalpha():
        return token
    if token.startswith(lex.prefixes):
        return token
    limit = 2 if len(token) >= 8 else 1
    candidates: set[str] = set()
    for d in _deletions(token, limit):
        found = lex.deletes.get(d)
        if found:
            candidates.update(found)
    best: tuple[int, int, str] | None = None
    for cand in candidates:
        if len(cand) < 5:
            continue
        allowed = 2 if len(cand) >= 8 and limit == 2 else 1
        dist = _distance(token, cand, allowed)
        if dist > allowed:
            continue
        if cand[0] != token[0] and cand[:2] != token[1::-1]:
            continue  # first letters are rarely mistyped; "folding" is not "holding"
        key = (dist, abs(len(cand) - len(token)), cand)
        if best is None or key < best:
            best = key
    return token if best is None else best[2]


# --------------------------------------------------------------------------------------------
# Text preparation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    original: str
    tokens: tuple[str, ...]  # folded, typo-corrected
    spans: tuple[tuple[int, int], ...]  # of each token in `original`
    cut_after: tuple[bool, ...]  # punctuation right after the token
    canon: str  # " tok tok tok "
    starts: tuple[int, ...]  # index of each token in `canon`

    def token_at(self, pos: int) -> int:
        """Index of the token that starts at or covers canon position `pos`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def slice(self, i: int, j: int) -> str:
        """Original text of tokens i..j-1."""
        return self.original[self.spans[i][0] : self.spans[j - 1][1]]


def _prepare(text: str, lex: _Lexicon) -> _Text:
    original = strip_hidden(text[:_MAX_INPUT])
    if original.isascii():
        folded = original.lower()
        index = list(range(len(folded)))
    else:
        chars: list[str] = []
        index = []
        for i, ch in enumerate(original):
            f = fold_accents(ch).lower()
            if ch in "'’":
                f = " "
            chars.append(f)
            index.extend([i] * len(f))
        folded = "".join(chars)
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _WORD_RE.finditer(folded):
        start = index[m.start()]
        word = m.group(0)
        name = bool(tokens) and original[start].isupper()
        tokens.append(word if name else _correct(word, lex))
        spans.append((start, index[m.end() - 1] + 1))
    cut_after = []
    for k, (_, end) in enumerate(spans):
        nxt = spans[k + 1][0] if k + 1 < len(spans) else len(original)
        gap = original[end:nxt]
        cut_after.append(any(c in _CUT_PUNCT for c in gap) or k + 1 == len(spans))
    starts = []
    pos = 1
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    canon = " " + " ".join(tokens) + " "
    return _Text(original, tuple(tokens), tuple(spans), tuple(cut_after), canon, tuple(starts))


def _fold_name(name: str) -> tuple[str, ...]:
    return tuple(_WORD_RE.findall(fold_accents(name).lower()))


# --------------------------------------------------------------------------------------------
# Slots
# --------------------------------------------------------------------------------------------


def _period(t: _Text, lex: _Lexicon) -> Period | None:
    best: tuple[int, Period] | None = None
    for period, regex in lex.periods:
        m = regex.search(t.canon)
        if m is not None:
            key = (-(m.end() - m.start()), period)
            if best is None or key[0] < best[0]:
                best = key
    return None if best is None else best[1]


def _find_name(t: _Text, names: Sequence[str]) -> tuple[str, int, int] | None:
    """The first of `names` found in the text (exact or with one typo): (name, i, j)."""
    for name in names:
        parts = _fold_name(name)
        if not parts:
            continue
        n = len(parts)
        for i in range(len(t.tokens) - n + 1):
            ok = True
            for k, part in enumerate(parts):
                tok = t.tokens[i + k]
                raw = t.canon[t.starts[i + k] : t.starts[i + k] + len(tok)]
                if raw == part:
                    continue
                if len(part) >= 5 and _distance(tok, part, 1) <= 1:
                    continue
                ok = False
                break
            if ok:
                return name, i, i + n
    return None


def _unknown_competitor(t: _Text, lex: _Lexicon) -> tuple[str, int, int] | None:
    """A name after "chez", "vs", "compared to"... that is not a generic word."""
    for m in lex.competitor_leads.finditer(t.canon):
        i = t.token_at(m.end() + 1)
        if i >= len(t.tokens) or t.starts[i] <= m.start():
            continue
        lead = m.group(0)
        while i < len(t.tokens) and t.tokens[i] in ("la", "le", "les", "l", "the", "a"):
            i += 1
        if i >= len(t.tokens):
            continue
        tok = t.tokens[i]
        if tok in _GENERIC_OTHERS or tok in _SELF_WORDS or tok in lex.vocab or tok.isdigit():
            continue
        word = t.slice(i, i + 1)
        if lead in ("chez", "vs", "versus") or word[:1].isupper():
            return word, i, i + 1
    return None


def _clean_topic(t: _Text, i: int, j: int, lex: _Lexicon, skip: set[int]) -> str | None:
    """The topic phrase in tokens i..j-1, without leading/trailing fillers; None when empty."""
    end = i
    while end < j and not (end > i and t.cut_after[end - 1]):
        end += 1
    j = end
    masked = [k for k in range(i, j) if k not in skip]
    if not masked:
        return None
    i, j = masked[0], masked[-1] + 1
    # remove noise phrases (periods, "on X", "please") at the ends
    changed = True
    while changed and i < j:
        changed = False
        sub = " " + " ".join(t.tokens[i:j]) + " "
        at_start = at_end = 0
        for regex in (lex.noise, *(r for _, r in lex.periods)):
            for m in regex.finditer(sub):
                n_words = len(m.group(0).split())
                if m.end() + 1 == len(sub):
                    at_end = max(at_end, n_words)
                if m.start() == 1:
                    at_start = max(at_start, n_words)
        if at_end:
            j -= at_end
            changed = True
            continue
        if at_start:
            i += at_start
            changed = True
            continue
        while i < j and (t.tokens[i] in _LEAD_WORDS or i in skip):
            i += 1
            changed = True
        while i < j and (t.tokens[j - 1] in _LEAD_WORDS or (j - 1) in skip):
            j -= 1
            changed = True
    if i >= j:
        return None
    words = set(t.tokens[i:j])
    if words <= (_SELF_WORDS | _LEAD_WORDS | lex.generic):
        return None
    phrase = t.slice(i, j).strip(" '’-")
    if len(phrase) > MAX_TOPIC_CHARS:
        phrase = phrase[:MAX_TOPIC_CHARS].rsplit(" ", 1)[0]
    return phrase or None


_ABOUT_RE: Final = re.compile(
    r"(?<= )(?:a propos de|au sujet de|concernant|regarding|concerning|about|autour de|around|"
    r"sur|de|du|des|d|on|of|avis sur|retours sur|feedback on|with|avec|pour|for)(?= )"
)
_DRAFT_ABOUT_RE: Final = re.compile(
    r"(?<= )(?:a propos de|au sujet de|concernant|regarding|about|sur|on|pour|for|to|"
    r"qui|that|annoncant|announcing|de|thanking|remerciant|celebrating|to announce|pour annoncer|"
    r"que|saying)(?= )"
)


def _topic_after(t: _Text, lex: _Lexicon, start: int, skip: set[int]) -> str | None:
    """The topic right after canon position `start` (the end of a "what is said about" cue),
    or else in the first "about ..." phrase after it."""
    if start > 0:
        i = t.token_at(start + 1)
        if t.starts[i] == start + 1:
            topic = _clean_topic(t, i, len(t.tokens), lex, skip)
            if topic is not None:
                return topic
    for m in _ABOUT_RE.finditer(t.canon, max(0, start - 1)):
        i = t.token_at(m.end() + 1)
        if t.starts[i] <= m.start():
            continue
        topic = _clean_topic(t, i, len(t.tokens), lex, skip)
        if topic is not None:
            return topic
    return None


def _self_topic(topic: str, own: Sequence[str]) -> bool:
    folded = _fold_name(topic)
    if folded and folded[0] in _SELF_WORDS:
        return True  # "nous en bien ou en mal", "us lately"
    words = set(folded)
    own_words: set[str] = set()
    for name in own:
        own_words |= set(_fold_name(name))
    return bool(words) and words <= (_SELF_WORDS | _LEAD_WORDS | own_words | {"s"})


# --------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------


def _lang(t: _Text, hint: str | None, previous: Understanding | None) -> str:
    fallback = (hint or "").replace("_", "-").split("-")[0].lower()
    if fallback not in ("fr", "en"):
        fallback = previous.lang if previous is not None else "en"
    if len(t.tokens) >= 3:
        detected = detect_language(t.original)
        if detected in ("fr", "en"):
            return detected
        return fallback
    fr = sum(tok in _SHORT_FR for tok in t.tokens)
    en = sum(tok in _SHORT_EN for tok in t.tokens)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    if not t.original.isascii() and any(c in t.original for c in "éèêàçùôîâ"):
        return "fr"
    return fallback


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------


def _scores(t: _Text, lex: _Lexicon) -> tuple[dict[str, float], int]:
    """Score of each intent, and where the last "what is said about" cue ends."""
    scores: dict[str, float] = {}
    about_end = 0
    for intent, weight, regex in lex.tiers:
        count = 0
        for m in regex.finditer(t.canon):
            count += 1
            if intent in (Intent.PULSE, Intent.TOPIC) and weight >= 2.0:
                about_end = max(about_end, m.end())
        if count:
            # a second and third cue of the same tier add half their weight each
            scores[intent] = scores.get(intent, 0.0) + weight * (1 + 0.5 * (min(count, 3) - 1))
    return scores, about_end


def _confidence(best: float, second: float) -> float:
    """`s / (s + 2.5)` of the best score, less 15 % of the runner-up's score."""
    effective = best - 0.15 * second
    if effective <= 0:
        return 0.0
    return round(effective / (effective + _SCORE_SCALE), 3)


def warm_up() -> None:
    """Build the lexicons and load the coach knowledge now (about a second) rather than on the
    first question."""
    from bot.domain.coach import looks_like_x_question

    _lexicon()
    looks_like_x_question("c'est quoi un thread ?")


def _post_ref(text: str) -> str | None:
    m = _URL_POST_RE.search(text)
    if m is not None:
        return m.group(1)
    m = _BARE_ID_RE.search(text)
    return m.group(1) if m is not None else None


def understand(
    text: str,
    lang_hint: str | None,
    previous: Understanding | None,
    *,
    competitors: Sequence[str] = (),
    topics_hint: Sequence[str] = (),
    own_names: Sequence[str] = (),
    sector_terms: Sequence[str] = (),
) -> Understanding:
    """What `text` asks, in which language, about what and when.

    `lang_hint`: the Teams locale language ("fr", "en-GB"...), used when the text is too short to
    tell. `previous`: the last understanding in this conversation, for follow-ups.
    `competitors`: competitor names (the slot is the name as given here). `topics_hint`: known
    topics (products, themes of the day) recognised anywhere in the question, returned as given.
    `own_names`: the company's names ("about Velora" is about us, not a topic). `sector_terms`:
    words of the sector that point to TRENDS.
    """
    lex = _lexicon()
    post_ref = _post_ref(text)
    t = _prepare(text, lex)
    lang = _lang(t, lang_hint, previous)
    if not t.tokens:
        if "?" in text:
            return Understanding(Intent.HELP, lang, confidence=0.6)
        return Understanding(Intent.UNKNOWN, lang, confidence=0.0)

    scores, about_end = _scores(t, lex)
    period = _period(t, lex)
    competitor_hit = _find_name(t, competitors)
    if competitor_hit is None:
        competitor_hit = _unknown_competitor(t, lex)
    own_hit = _find_name(t, own_names)
    topic_hit = _find_name(t, topics_hint)
    sector_hit = _find_name(t, sector_terms)

    # structural evidence
    x_vocab = scores.pop("x_vocab", 0.0)
    if x_vocab and Intent.EXPLAIN in scores:
        scores[Intent.EXPLAIN] += x_vocab
    elif x_vocab:
        scores[Intent.EXPLAIN] = 0.5
    if competitor_hit is not None:
        scores[Intent.COMPETITORS] = scores.get(Intent.COMPETITORS, 0.0) + 3.0
    if topic_hit is not None:
        scores[Intent.TOPIC] = scores.get(Intent.TOPIC, 0.0) + 2.5
    if sector_hit is not None:
        scores[Intent.TRENDS] = scores.get(Intent.TRENDS, 0.0) + 1.5
    if period is not None:
        scores[Intent.PULSE] = scores.get(Intent.PULSE, 0.0) + 1.0
    if own_hit is not None:
        scores[Intent.PULSE] = scores.get(Intent.PULSE, 0.0) + 1.0
    # "what is said about ..." is one family: its object decides PULSE / TOPIC / COMPETITORS
    about = scores.pop(Intent.PULSE, 0.0) + scores.pop(Intent.TOPIC, 0.0)
    if about:
        if competitor_hit is not None:
            scores[Intent.COMPETITORS] += about
        elif topic_hit is not None:
            scores[Intent.TOPIC] = about
        else:
            scores[Intent.PULSE] = about
    if post_ref is not None:
        scores[Intent.SHOULD_RESPOND] = scores.get(Intent.SHOULD_RESPOND, 0.0) + 3.0
    if _TIME_RE.search(t.original.lower()) and Intent.BRIEFING in scores:
        scores[Intent.BRIEFING] += 1.5
    # reading a post aloud is not drafting one; explaining X wins over a generic "post"
    if (
        Intent.DRAFT in scores
        and scores.get(Intent.SHOULD_RESPOND, 0.0) >= 4
        and scores[Intent.DRAFT] < 4
    ):
        scores[Intent.DRAFT] = 0.0

    injection = bool(_INJECTION_RE.search(t.canon)) or bool(
        _INJECTION_RE.search(fold_accents(t.original.lower()))
    )

    follow = _follow_up(t, lex, previous, scores, period, competitor_hit, topic_hit, own_names)
    if follow is not None:
        return replace(follow, lang=lang, post_ref=post_ref or follow.post_ref)

    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best_name, best = ranked[0] if ranked else ("", 0.0)
    second = ranked[1][1] if len(ranked) > 1 else 0.0

    # weak question: maybe it is about X itself (the coach knows)
    if (
        best < 3.0
        and (Intent.EXPLAIN in scores or (best < _SCORE_SCALE and "?" in text))
        and best_name not in (Intent.BRIEFING, Intent.EDITORIAL_LINE)
    ):
        from bot.domain.coach import looks_like_x_question

        if looks_like_x_question(text):
            scores[Intent.EXPLAIN] = scores.get(Intent.EXPLAIN, 0.0) + 2.5
            ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
            best_name, best = ranked[0]
            second = ranked[1][1] if len(ranked) > 1 else 0.0

    confidence = _confidence(best, second)
    if best_name == _SMALLTALK or confidence < CONFIDENCE_THRESHOLD:
        return Understanding(Intent.UNKNOWN, lang, confidence=confidence if best_name else 0.0)
    intent = Intent(best_name)
    if injection and intent not in _SAFE_UNDER_INJECTION:
        return Understanding(Intent.UNKNOWN, lang, confidence=confidence)

    topic: str | None = None
    competitor: str | None = None
    skip: set[int] = set()
    if competitor_hit is not None:
        skip |= set(range(competitor_hit[1], competitor_hit[2]))

    if intent in (Intent.PULSE, Intent.TOPIC):
        if competitor_hit is not None:
            intent = Intent.COMPETITORS
        elif topic_hit is not None:
            intent, topic = Intent.TOPIC, topic_hit[0]
        else:
            topic = _topic_after(t, lex, about_end, skip)
            if topic is not None and _self_topic(topic, own_names):
                topic = None
            intent = Intent.TOPIC if topic is not None else Intent.PULSE
    if intent in (Intent.COMPETITORS, Intent.CRISIS):
        competitor = competitor_hit[0] if competitor_hit is not None else None
        if topic_hit is not None:
            topic = topic_hit[0]
    if intent == Intent.DRAFT:
        topic = _draft_brief(t, lex)
    if intent == Intent.SHOW_POSTS:
        competitor = competitor_hit[0] if competitor_hit is not None else None
        topic = topic_hit[0] if topic_hit is not None else None
    return Understanding(
        intent=intent,
        lang=lang,
        period=period or Period.TODAY,
        topic=topic,
        competitor=competitor,
        post_ref=post_ref if intent == Intent.SHOULD_RESPOND else None,
        follow_up=False,
        confidence=confidence,
    )


def _draft_brief(t: _Text, lex: _Lexicon) -> str | None:
    """The brief of a draft request: what follows "about / sur / pour" after the draft cue."""
    start = 0
    draft_regexes = [r for name, w, r in lex.tiers if name == Intent.DRAFT and w >= 4.0]
    for regex in draft_regexes:
        m = regex.search(t.canon)
        if m is not None:
            start = m.end()
    m2 = _DRAFT_ABOUT_RE.search(t.canon, max(0, start - 1))
    if m2 is None:
        return None
    i = t.token_at(m2.end() + 1)
    if t.starts[i] <= m2.start():
        return None
    j = len(t.tokens)
    while j > i and (
        t.tokens[j - 1] in ("svp", "stp", "please", "merci", "thanks") or t.tokens[j - 1] == "x"
    ):
        j -= 1
    if i >= j:
        return None
    brief = t.slice(i, j).strip(" ?!.,;:'’-")
    if len(brief) > MAX_TOPIC_CHARS:
        brief = brief[:MAX_TOPIC_CHARS].rsplit(" ", 1)[0]
    return brief or None


def _follow_up(
    t: _Text,
    lex: _Lexicon,
    previous: Understanding | None,
    scores: dict[str, float],
    period: Period | None,
    competitor_hit: tuple[str, int, int] | None,
    topic_hit: tuple[str, int, int] | None,
    own_names: Sequence[str],
) -> Understanding | None:
    """The follow-up reading of a short question after `previous`, or None."""
    if previous is None or previous.intent not in _INHERITABLE:
        short = previous is None and len(t.tokens) <= 4
        if short and t.canon.startswith((" et ", " and ")) and period and not competitor_hit:
            return Understanding(Intent.PULSE, "en", period=period, confidence=0.55)
        return None
    n = len(t.tokens)
    opener = lex.openers.match(t.canon) is not None
    strong = {k: v for k, v in scores.items() if v >= 3.0 and k != _SMALLTALK}
    # a full new question is not a follow-up
    if n > 8 and not opener:
        return None
    if strong and not opener and n > 3:
        only = set(strong) <= {Intent.COMPETITORS, Intent.SHOW_POSTS}
        if not only:
            return None

    base = replace(previous, follow_up=True, confidence=0.8)
    if previous.intent == Intent.DRAFT and lex.revisions.search(t.canon):
        return base
    if lex.why.search(t.canon) and n <= 6 and not strong:
        return base
    if (lex.more.search(t.canon) and n <= 4) or Intent.SHOW_POSTS in strong:
        return replace(
            base,
            intent=Intent.SHOW_POSTS,
            period=period or previous.period,
            competitor=competitor_hit[0] if competitor_hit else previous.competitor,
        )
    if not opener and n > 3 and not (period or competitor_hit or topic_hit):
        return None
    if not opener and not (period or competitor_hit or topic_hit):
        return None
    intent = previous.intent
    if intent not in (
        Intent.PULSE,
        Intent.TOPIC,
        Intent.COMPETITORS,
        Intent.CRISIS,
        Intent.TRENDS,
        Intent.SHOW_POSTS,
    ):
        intent = Intent.PULSE
    for name in (Intent.CRISIS, Intent.TRENDS, Intent.COMPETITORS):
        if name in strong:
            intent = name
    out = replace(base, intent=intent, period=period or previous.period)
    skip: set[int] = set()
    if competitor_hit is not None:
        skip |= set(range(competitor_hit[1], competitor_hit[2]))
        if out.intent not in (Intent.SHOW_POSTS, Intent.CRISIS):
            out = replace(out, intent=Intent.COMPETITORS)
        return replace(out, competitor=competitor_hit[0])
    if topic_hit is not None:
        topic: str | None = topic_hit[0]
    else:
        opener_m = lex.openers.match(t.canon)
        start = opener_m.end() - 1 if opener_m is not None else 0
        first = t.token_at(start + 1) if start else 0
        topic = _clean_topic(t, first, len(t.tokens), lex, skip)
        if topic is not None and (_self_topic(topic, own_names) or _is_cue_only(topic, lex)):
            if _self_topic(topic, own_names):
                return replace(out, intent=Intent.PULSE, topic=None, competitor=None)
            topic = None
    if topic is not None:
        if out.intent in (Intent.PULSE, Intent.TOPIC):
            out = replace(out, intent=Intent.TOPIC)
        return replace(out, topic=topic)
    if period is None and not strong:
        return None if not opener else out
    return out


def _is_cue_only(topic: str, lex: _Lexicon) -> bool:
    """A "topic" made only of cue words (e.g. "la concurrence") is not a topic."""
    words = _fold_name(topic)
    return all(w in lex.generic or w in _GENERIC_OTHERS or w in _LEAD_WORDS for w in words)
