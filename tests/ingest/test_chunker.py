"""Chunking: Arabic sentence marks, exact offsets, whole words, whole paragraphs where they fit, overlap."""

import pytest

from ingest.chunker import Chunker
from records import Article

ARABIC = (
    "أعلن الوزير عن مشروع جديد. هل سينجح المشروع؟ قال المتحدث: نعم! وأضاف أن العمل يبدأ غداً…\n"
    "وفي سطر جديد، قال رئيس البلدية إن المدينة مستعدة؛ وإن السكان ينتظرون."
)


def article(text: str) -> Article:
    return Article(id="a1", title="T", text=text, source="t.md", author="A", published="2026-01-01")


@pytest.fixture
def chunker(embedder):
    return lambda max_tokens, overlap=0: Chunker(embedder.count_tokens, max_tokens, overlap)


def test_arabic_sentences_end_at_arabic_marks_and_line_breaks(chunker):
    text = ARABIC
    sentences = [text[u.start : u.end] for u in chunker(200).units(text)]
    assert sentences == [
        "أعلن الوزير عن مشروع جديد.",
        "هل سينجح المشروع؟",
        "قال المتحدث: نعم!",
        "وأضاف أن العمل يبدأ غداً…",
        "وفي سطر جديد، قال رئيس البلدية إن المدينة مستعدة؛ وإن السكان ينتظرون.",
    ]


def test_numbers_and_abbreviations_do_not_end_sentences(chunker):
    text = "Growth was 3.5 percent in the U.S.A. this year. Prices rose."
    assert [text[u.start : u.end] for u in chunker(200).units(text)] == [
        "Growth was 3.5 percent in the U.S.A. this year.", "Prices rose.",
    ]


def test_two_periods_are_a_pause_not_a_sentence_end(chunker):
    text = 'قال المدير: "لا يوجد أي اتصال مع الشركة.. صفر". وأضاف أن العمل مستمر... ثم غادر.'
    assert [text[u.start : u.end] for u in chunker(200).units(text)] == [
        'قال المدير: "لا يوجد أي اتصال مع الشركة.. صفر".', "وأضاف أن العمل مستمر...", "ثم غادر.",
    ]


def test_offsets_map_back_to_the_exact_text(chunker):
    text = ("\n\n".join([ARABIC] * 6)) + "\n\nالنهاية."
    doc = article(text)
    chunks = chunker(40, overlap=10).chunk(doc)
    assert len(chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.article_id == "a1" and chunk.author == "A" and chunk.published == "2026-01-01"
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert [c.id for c in chunks] == [f"a1:{i}" for i in range(len(chunks))]


def test_long_sentence_is_cut_at_arabic_commas_then_between_words(chunker, embedder):
    clauses = "، ".join(f"وقال المسؤول رقم {i} إن الخطة تسير كما هو مقرر" for i in range(12)) + "."
    doc = article(clauses)
    chunks = chunker(30).chunk(doc)
    assert len(chunks) > 2
    for chunk in chunks:
        assert embedder.count_tokens([chunk.text])[0] <= 30
        before = doc.text[chunk.start - 1] if chunk.start else " "
        after = doc.text[chunk.end] if chunk.end < len(doc.text) else " "
        assert before.isspace() and (after.isspace() or after in "،.")  # never inside a word
    assert all(c.text.endswith("،") for c in chunks[:-1])  # clause marks are the preferred cut


def test_a_run_without_any_punctuation_is_cut_between_words(chunker):
    doc = article(" ".join(["كلمة"] * 300))
    for chunk in chunker(25).chunk(doc):
        assert chunk.text.split() == ["كلمة"] * len(chunk.text.split())


def test_paragraphs_that_fit_stay_together(chunker, embedder):
    first = "الفقرة الأولى جملة قصيرة. " * 3
    second = "الفقرة الثانية فيها جمل. وهي كلها في موضوع واحد. ولا ينبغي أن تنقسم."
    text = first.strip() + "\n\n" + second
    limit = max(embedder.count_tokens([second])[0], embedder.count_tokens([first])[0]) + 2
    chunks = chunker(limit).chunk(article(text))
    assert [c.text for c in chunks] == [first.strip(), second]


def test_overlap_repeats_the_last_sentences_inside_a_paragraph(chunker):
    text = " ".join(f"هذه الجملة رقم {i} في الفقرة." for i in range(20))
    chunks = chunker(40, overlap=15).chunk(article(text))
    assert len(chunks) > 2
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end  # the next chunk starts inside the previous one
        assert after.end > before.end


def test_no_overlap_across_paragraphs(chunker):
    paragraph = " ".join(f"جملة {i} هنا." for i in range(8))
    chunks = chunker(30, overlap=10).chunk(article(paragraph + "\n\n" + paragraph))
    starts_of_second = [c for c in chunks if c.start >= len(paragraph)]
    assert starts_of_second[0].start == len(paragraph) + 2
