"""Sentiment model: loading, API, determinism, made-up sentences, goals on the shared data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.domain.sentiment import (
    DEFAULT_MODEL_PATH,
    Label,
    SentimentModel,
    TextAnalysis,
    analyse_texts,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TWEETEVAL_GOAL = 0.65


@pytest.fixture(scope="module")
def model() -> SentimentModel:
    return SentimentModel.load()


def test_model_file_is_small_and_loads_once() -> None:
    assert DEFAULT_MODEL_PATH.is_file()
    assert DEFAULT_MODEL_PATH.stat().st_size <= 10 * 1024 * 1024
    assert SentimentModel.load() is SentimentModel.load()
    fresh = SentimentModel.load(DEFAULT_MODEL_PATH)
    assert fresh is not SentimentModel.load()
    assert fresh.n_features > 1000
    assert fresh.routes == {"fr": "multi", "en": "en", "other": "multi"}
    assert not fresh.heads["en"].featurizer.char_ngrams
    assert fresh.heads["multi"].featurizer.char_ngrams


def test_predict_proba_shape_and_sums(model: SentimentModel) -> None:
    proba = model.predict_proba(["I love it", "Je déteste ça", ""])
    assert proba.shape == (3, 3)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert model.predict_proba([]).shape == (0, 3)
    assert model.predict([]) == []


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love the new app, it's amazing! 😍", Label.POSITIVE),
        ("Thanks so much for the quick help, great service", Label.POSITIVE),
        ("This is the worst update ever, everything crashes 😡", Label.NEGATIVE),
        ("Terrible customer service, I am so disappointed", Label.NEGATIVE),
        ("J'adore cette nouvelle fonctionnalité, bravo à l'équipe !", Label.POSITIVE),
        ("Merci pour votre aide, c'est génial 👍", Label.POSITIVE),
        ("Service client nul, c'est honteux et inadmissible", Label.NEGATIVE),
        ("Encore une panne, je suis vraiment déçu 😡", Label.NEGATIVE),
    ],
)
def test_clear_cases(model: SentimentModel, text: str, label: Label) -> None:
    assert model.predict([text]) == [label]


def test_negation_lowers_positivity(model: SentimentModel) -> None:
    pos, neg = model.predict_proba(["the app is good", "the app is not good"])
    assert neg[2] < pos[2]
    pos_fr, neg_fr = model.predict_proba(["c'est bien", "ce n'est pas bien"])
    assert neg_fr[2] < pos_fr[2]


def test_hidden_characters_do_not_change_prediction(model: SentimentModel) -> None:
    clean = "I love this phone"
    dirty = "I lo\u200bve this ph\u202eone\U000e0041"
    assert np.allclose(model.predict_proba([clean]), model.predict_proba([dirty]))


def test_deterministic_and_batch_independent(model: SentimentModel) -> None:
    texts = ["Great job!", "Pas terrible…", "The meeting is at 10:30", "Bof"]
    first = model.predict_proba(texts)
    again = SentimentModel.load(DEFAULT_MODEL_PATH).predict_proba(texts)
    one_by_one = np.vstack([model.predict_proba([t]) for t in texts])
    assert np.array_equal(first, model.predict_proba(texts))
    assert np.allclose(first, again, atol=1e-6)
    assert np.allclose(first, one_by_one, atol=1e-6)


def test_langs_argument(model: SentimentModel) -> None:
    assert len(model.predict(["super"], langs=["fr"])) == 1
    with pytest.raises(ValueError):
        model.predict(["a", "b"], langs=["fr"])


def test_analyse_texts(model: SentimentModel) -> None:
    out = analyse_texts(["Bravo @Acme, c'est génial ! https://t.co/x", "This is awful\u200b"])
    assert all(isinstance(a, TextAnalysis) for a in out)
    assert out[0].normalised == "Bravo @user, c'est génial ! URL"
    assert out[0].lang == "fr" and out[0].sentiment is Label.POSITIVE and out[0].score > 0
    assert out[1].normalised == "This is awful"
    assert out[1].lang == "en" and out[1].sentiment is Label.NEGATIVE and out[1].score < 0
    assert -1.0 <= out[1].score <= 1.0
    assert analyse_texts([]) == []


def test_label_text() -> None:
    assert Label.NEUTRAL.text == "neutral"
    assert int(Label.POSITIVE) == 2


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_quality_goals_on_shared_data(model: SentimentModel) -> None:
    from scripts.eval_sentiment import evaluate

    res = evaluate(DATA, model)
    # A floor: 324 tweets give ±0.05 at 95%; the goals are checked on cross-validation below.
    assert res["xlmt_french_val_macro_f1"] >= 0.60
    # Honest English figure: TweetEval val minus the 1,430 tweets that are also in XLM-T English
    # train (the full-set figure is contaminated and not asserted).
    assert res["tweeteval_val_unseen_n"] == 570
    assert res["tweeteval_val_macro_recall"] >= TWEETEVAL_GOAL


def test_each_language_is_scored_by_its_head(model: SentimentModel) -> None:
    texts = ["I love this phone", "J'adore ce téléphone", "Me encanta este teléfono"]
    langs = ["en", "fr", "other"]
    mixed = model.logits_tokens([t.lower().split() for t in texts], langs)
    for i, (text, lang) in enumerate(zip(texts, langs, strict=True)):
        head = model.heads[model.routes[lang]]
        alone = head.logits([text.lower().split()], [lang])
        assert np.allclose(mixed[i], alone[0], atol=1e-6)
    # An unknown language code falls back to the "other" route rather than failing.
    unknown = model.logits_tokens([["hola"]], ["es"])
    assert np.allclose(unknown, model.heads[model.routes["other"]].logits([["hola"]], ["es"]))


def test_save_and_load_round_trip(model: SentimentModel, tmp_path: Path) -> None:
    from bot.domain.sentiment import LEXICON_PATH

    path = tmp_path / "copy.npz"
    model.save(path, LEXICON_PATH.read_text(encoding="utf-8"))
    copy = SentimentModel.load(path)
    texts = ["Great job!", "Pas terrible…", "Hola amigos", "The meeting is at 10:30"]
    assert copy.routes == model.routes
    assert np.allclose(copy.predict_proba(texts), model.predict_proba(texts), atol=1e-6)


def test_model_of_another_feature_version_is_refused(tmp_path: Path) -> None:
    import json

    with np.load(DEFAULT_MODEL_PATH, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode("utf-8"))
    meta["feature_version"] = 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    path = tmp_path / "old.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="feature version"):
        SentimentModel.load(path)


def test_cue_file_parses_idioms_sarcasm_and_wide_negations() -> None:
    from bot.domain.sentiment import CUES_PATH, parse_cues

    cues = parse_cues(CUES_PATH.read_text(encoding="utf-8"))
    assert cues.polar[("rien", "à", "redire")] == 1
    assert cues.polar[("rien", "a", "redire")] == 1  # accent-folded variant
    assert cues.polar[("thanks", "for", "nothing")] == -1
    assert cues.polar[("🙄",)] == -1
    assert ("n'",) in cues.wide and ("can't", "say") in cues.wide
    with pytest.raises(ValueError, match="bad cue line"):
        parse_cues("* nope")


def test_featurizer_reads_idioms_as_one_unit_and_wide_negation(model: SentimentModel) -> None:
    from bot.domain.sentiment import tokens_for_sentiment
    from bot.domain.text import normalise

    featurizer = model.heads["en"].featurizer
    keys, _ = featurizer.units(tokens_for_sentiment(normalise("thanks for nothing, again")))
    assert "thanks" not in keys and "\x02-" in keys
    keys, _ = featurizer.units(tokens_for_sentiment("i can't say the service was good"))
    assert "\x01good" in keys  # five words after "can't say": still negated
    keys, _ = featurizer.units(tokens_for_sentiment("le sav ne répond pas depuis des mois"))
    assert "\x02-" in keys  # « ne répond pas » is a complaint
    keys, _ = featurizer.units(tokens_for_sentiment("ce n'est plus du tout fiable , dommage"))
    assert "\x01fiable" in keys and "dommage" in keys  # the scope ends with the clause
    # French litotes and understatements are complaints, not negated praise
    keys, _ = featurizer.units(tokens_for_sentiment("franchement pas terrible ce modèle"))
    assert "\x02-" in keys and "\x01terrible" not in keys
    keys, _ = featurizer.units(tokens_for_sentiment("pas du tout convaincu par la mise à jour"))
    assert "\x01mise" in keys  # « pas du tout » negates to the end of the clause


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("@united thanks for nothing, 4 hours on the tarmac", Label.NEGATIVE),
        ("I can't say the service was good", Label.NEGATIVE),
        ("Rien à redire, service impeccable", Label.POSITIVE),
        ("Le SAV de la marque ne répond pas depuis 3 semaines, honteux", Label.NEGATIVE),
        ("Great update 🙄 now nothing loads", Label.NEGATIVE),
    ],
)
def test_issue_19_failing_examples(model: SentimentModel, text: str, label: Label) -> None:
    assert model.predict([text]) == [label]


def test_confidence_is_lower_for_mixed_posts() -> None:
    from bot.domain.sentiment import confidence_of

    proba = np.array(
        [[0.8, 0.15, 0.05], [0.45, 0.1, 0.45], [0.2, 0.6, 0.2], [0.5, 0.2, 0.3]],
        dtype=np.float32,
    )
    conf, mixed = confidence_of(proba)
    assert conf[0] == pytest.approx(0.75)
    assert conf[1] == pytest.approx(0.0)
    assert conf[2] == pytest.approx(0.4)
    assert mixed.tolist() == [False, True, False, True]
    out = analyse_texts(["Superbe vélo mais le SAV est une catastrophe", "I love it, thank you!"])
    assert all(0.0 <= a.confidence <= 1.0 for a in out)
    assert out[1].confidence > out[0].confidence


def test_embedding_head_mixes_with_the_word_model(model: SentimentModel) -> None:
    assert model.embedding is not None and model.embedding.dim == 512
    assert 0.0 < model.embedding.alpha < 1.0
    texts = ["I love it", "Je déteste ça", "Réunion à 10h"]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with_vectors = model.predict_proba(texts, vectors=vectors)
    assert with_vectors.shape == (3, 3)
    assert np.allclose(with_vectors.sum(axis=1), 1.0, atol=1e-5)
    assert not np.allclose(with_vectors, model.predict_proba(texts))
    with pytest.raises(ValueError, match="vectors"):
        model.predict_proba(texts, vectors=vectors[:2])
    with pytest.raises(ValueError, match="vectors"):
        model.predict_proba(texts, vectors=vectors[:, :100])


def test_cross_validated_figures_meet_the_issue_goals(model: SentimentModel) -> None:
    """Issue 19's held-out goals, on the ensemble's out-of-fold figures stored by training."""
    from scripts.eval_sentiment import CV_GOALS, cv_scores

    scores = cv_scores(model)
    for key, goal in CV_GOALS.items():
        assert scores[key] >= goal, key
    # the ensemble is better than the word model alone on every set
    for key in CV_GOALS:
        assert scores[key] > scores[key.replace("ensemble.", "words.")], key


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")
def test_ensemble_on_validation_beats_words_in_french_meets_the_goal_in_english(
    model: SentimentModel,
) -> None:
    """The real encoder on XLM-T French val and TweetEval's unseen val tweets."""
    from bot.clients.encoder import shared_encoder
    from bot.domain.text import normalise
    from scripts.eval_sentiment import macro_f1, macro_recall
    from scripts.train_sentiment import load_text_labels, load_training, text_key

    seen = {text_key(e.text) for e in load_training(DATA)}
    unseen = [
        e
        for e in load_text_labels(DATA / "tweeteval_sentiment", "val", "en")
        if text_key(e.text) not in seen
    ]
    results = {}
    for name, examples, metric in (
        ("fr", load_text_labels(DATA / "xlmt_french", "val", "fr"), macro_f1),
        ("en", unseen, macro_recall),
    ):
        texts = [e.text for e in examples]
        y = np.array([e.label for e in examples])
        vectors = shared_encoder().encode([normalise(t) for t in texts])
        words = np.array([int(x) for x in model.predict(texts)])
        ensemble = np.array([int(x) for x in model.predict(texts, vectors=vectors)])
        results[name] = (metric(y, words), metric(y, ensemble))
    # French, where the embeddings bring English data: the ensemble is better.
    assert results["fr"][1] > results["fr"][0]
    # English: 570 tweets (±0.04), the two are within noise of each other (0.681 words, 0.678
    # ensemble; 0.637 / 0.650 macro-F1): the ensemble meets the issue's goal.
    assert results["en"][1] >= 0.66
