"""Extractive answers: exact citations, the source named in the question's language, abstention, question types."""

from pathlib import Path

import numpy as np
import pytest

from analysis import CLAUSE_WINDOW_CHARS, normalize
from ingest.pipeline import ingest_paths
from rag.answer import STATEMENT_REACH, statement_end
from rag.features import FEATURES, FeatureMaker, fits, question_type, speaker
from rag.pipeline import AskPipeline
from records import Chunk, Passage
from vectorstore.store import ChunkStore


def article_text(source: str) -> str:
    from ingest.readers import read_paths

    return read_paths([Path(source)]).articles[0].text


def test_every_citation_is_an_exact_span_of_its_article(pipeline):
    answer = pipeline.ask("كم طناً أنتج الهكتار الواحد هذا العام؟", k=3)
    assert not answer.abstained and answer.citations
    for citation in answer.citations:
        passage = answer.passages[citation.n - 1]
        assert article_text(passage.chunk.source)[citation.start : citation.end] == citation.text
        assert f"{citation.text} [{citation.n}]" in answer.text
    assert "أربعة أطنان" in answer.text


def test_the_source_is_named_in_the_questions_language(pipeline):
    arabic = pipeline.ask("من فازت ببطولة الشطرنج الوطنية؟", k=3)
    english = pipeline.ask("How many schools will the measles vaccination teams visit?", k=3)
    assert arabic.text.startswith("بحسب «شابة في السابعة عشرة تفوز ببطولة الشطرنج الوطنية» (رامي عوض، 2026-02-03): ")
    assert english.text.startswith('According to "حملة تطعيم ضد الحصبة في المدارس الابتدائية" (دينا فرح, 2026-10-01): ')
    assert "جود الحسيني" in arabic.text and "ألفاً وخمسمئة مدرسة" in english.text


@pytest.mark.parametrize("question, opening", [
    ("What is the capital of Australia?", "The articles do not clearly answer this question."),
    ("ما هي عاصمة أستراليا؟", "لا تجيب المقالات المتوفرة عن هذا السؤال بوضوح."),
])
def test_unanswerable_questions_abstain_and_still_list_passages(pipeline, question, opening):
    answer = pipeline.ask(question, k=3)
    assert answer.abstained and answer.text.startswith(opening)
    assert len(answer.passages) == 3 and answer.citations == [] and "[" not in answer.text


@pytest.mark.parametrize("question, kind", [
    ("متى بدأ الحصاد؟", "when"), ("في أي عام أغلق الجسر؟", "when"), ("When was the bridge closed?", "when"),
    ("كم مدرسة ستزور الفرق؟", "count"), ("How many schools?", "count"),
    ("ماذا قال فادي سلامة عن المخازن؟", "said"), ("What did the engineer say about the bridge?", "said"),
    ("من فاز بالبطولة؟", None), ("Why was the bridge closed?", None),
])
def test_question_types(question, kind):
    assert question_type(question) == kind


@pytest.mark.parametrize("text, holds", [
    ("سيكون سعر التذكرة ديناراً واحداً للبالغين", True), ("تتسع لمئة وعشرين راكباً", True), ("42 نائبا", True),
    ("a shuttle every fifteen minutes", True), ("It costs twelve dollars", True),
    ("وقال الوزير إن الخطة ناجحة", False), ("the party met in the city", False),
])
def test_what_fits_a_how_many_or_how_much_question(text, holds):
    assert fits("count", normalize(text)) == holds


def test_a_duplicated_sentence_is_quoted_once(settings, embedder, tmp_path):
    sentence = "وقال رئيس التعاونية إن المخازن الجديدة ستبنى قبل الخريف."
    for name in ("a", "b"):
        (tmp_path / f"{name}.md").write_text(f"# نسخة {name}\n\n{sentence}\n", encoding="utf-8")
    ingest_paths([tmp_path], settings, ChunkStore(settings, embedder))
    answer = AskPipeline.open(settings, embedder).ask("متى ستبنى المخازن الجديدة؟", k=2)
    assert answer.text.count(sentence) == 1 and len(answer.citations) == 1


def test_a_long_sentence_is_cut_to_the_clause_that_answers(settings, embedder, tmp_path):
    clauses = [f"وتحدث التقرير عن موضوع جانبي رقم {i} لا علاقة له بالسؤال" for i in range(6)]
    clauses.insert(3, "وأعلنت البلدية أن افتتاح الجسر الجديد سيكون في الخامس من مايو")
    (tmp_path / "long.md").write_text("# تقرير\n\n" + "، ".join(clauses) + ".\n", encoding="utf-8")
    ingest_paths([tmp_path], settings, ChunkStore(settings, embedder))
    answer = AskPipeline.open(settings, embedder).ask("متى افتتاح الجسر الجديد حسب البلدية؟", k=1)
    quote = answer.citations[0].text
    # The quote is a clause window that holds the answering clause, not the whole 450-character sentence. Which
    # window is not pinned: every window that holds the answer is a right one in the scorer's training.
    assert "وأعلنت البلدية أن افتتاح الجسر الجديد سيكون في الخامس من مايو" in quote
    assert len(quote) <= CLAUSE_WINDOW_CHARS


def passage_of(text: str, offset: int = 100) -> Passage:
    chunk = Chunk("a#0", "a", 0, text, offset, offset + len(text), "title", "a.md")
    return Passage(chunk, 0.9)


def test_a_statement_is_quoted_to_its_sentences_end_when_that_stays_short():
    said = "وطالب النواب بتجميد الاتصالات مع الحكومة، ووقف الرحلات الجوية، وإعلان المنتجعات منطقة خطرة."
    passage = passage_of(said + " وانتهت الجلسة مساء.")
    first_clause = said.index("،") + 1
    assert statement_end(passage, 100, 100 + first_clause) == 100 + len(said)


def test_a_statement_past_the_reach_keeps_its_chosen_clause():
    said = "وقال الوزير إن الحكومة ستواصل الإصلاحات، " + "وأضاف أن المرحلة المقبلة صعبة، " * 20 + "وختم بالشكر."
    passage = passage_of(said)
    first_clause = said.index("،") + 1
    assert len(said) > STATEMENT_REACH
    assert statement_end(passage, 100, 100 + first_clause) == 100 + first_clause


@pytest.mark.parametrize("question, expected", [
    ("What did Peskov say about the mission?", "Peskov"),
    ("What did Michelle Bachelet call for?", "Michelle Bachelet"),
    ("How did Sihem Bensedrine respond to the call?", "Sihem Bensedrine"),
    ("ماذا قال وزير الخارجية البريطاني بوريس جونسون عن هجوم مانشستر؟", "وزير الخارجيه البريطاني بوريس جونسون"),
    ("بماذا ردت سهام بن سدرين على دعوة النائب؟", "سهام بن سدرين"),
    ("When was the treaty signed?", ""),
    ("متى وقعت المعاهدة؟", ""),
])
def test_the_speaker_a_said_question_asks_about(question, expected):
    assert speaker(question) == expected


@pytest.mark.parametrize("question, translated", [
    ("What campaign is running in the schools?", True),
    ("Why did the engineers find cracks in it?", False),  # no word the lexicon knows
    ("لماذا أغلق الجسر القديم أمام الشاحنات؟", False),
])
def test_the_lexicons_translations_only_tell_units_apart(pipeline, question, translated):
    # A gap to the best unit, 0 for it: how much of a question the lexicon knows must not move the answer's probability.
    store = pipeline.retriever.store
    vector = store.embedder.embed_queries([question])[0]
    passages = pipeline.retriever.retrieve(question, 5, vector=vector)
    rows = np.array([c.features for c in FeatureMaker(store).candidates(question, vector, passages)])
    gaps = rows[:, FEATURES.index("translated_terms_gap")]
    assert gaps.min() == 0 and (gaps.max() > 0) == translated
