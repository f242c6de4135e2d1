"""Asking: the stable JSON shape, cross-lingual retrieval, and the questions-file CLI."""

import json
from pathlib import Path

import pytest

from errors import InputError
from ingest.pipeline import ingest_paths
from rag.pipeline import AskPipeline
from records import Filters
from tests.cli import run
from tests.rag.conftest import CROSSLINGUAL as FIXTURES
from vectorstore.store import ChunkStore

PASSAGE_FIELDS = {
    "n", "source", "title", "author", "published", "url", "outlet", "section", "text", "start", "end", "score",
    "chunk_id", "article_id", "alternates",
}




def test_answer_json_shape(pipeline):
    answer = pipeline.ask("من فاز ببطولة الشطرنج؟", k=3).to_json("q1")
    assert set(answer) == {
        "id", "question", "answer", "abstained", "confidence", "mode", "notes", "from_article", "citations", "passages",
    }
    assert answer["id"] == "q1" and answer["abstained"] is False and "[1]" in answer["answer"]
    assert all(set(c) == {"n", "chunk_id", "article_id", "start", "end", "text"} for c in answer["citations"])
    passages = answer["passages"]
    assert [p["n"] for p in passages] == [1, 2, 3] and all(set(p) == PASSAGE_FIELDS for p in passages)
    assert all(0 < p["score"] <= 1 for p in passages)  # similarity to the question; the order is the fused ranking
    best = passages[0]
    assert best["title"] == "شابة في السابعة عشرة تفوز ببطولة الشطرنج الوطنية" and best["author"] == "رامي عوض"
    assert best["published"] == "2026-02-03" and best["source"].endswith("chess-final.md")
    source_text = Path(best["source"]).read_text(encoding="utf-8")
    assert best["text"] in source_text


@pytest.mark.parametrize("question, article", [
    ("Who won the national chess championship?", "chess-final.md"),
    ("Why was the old bridge closed to trucks?", "bridge-closure.md"),
    ("How many schools will the measles vaccination teams visit?", "vaccine-campaign.md"),
    ("How much wheat did each hectare produce this year?", "wheat-harvest.md"),
])
def test_english_question_ranks_the_arabic_passage_first(pipeline, question, article):
    assert pipeline.ask(question, k=4).passages[0].chunk.source.endswith(article)


def test_english_words_find_an_arabic_article_through_the_lexicons_translations(pipeline):
    # No name, alias or number links the question to «حملة تطعيم ضد الحصبة في المدارس»: only "campaign" = «حملة»
    # and "schools" = «المدارس» do.
    store, question = pipeline.retriever.store, "what campaign is running in the schools?"
    [(best, _), *_] = store.lexical_search(question, k=3)
    [passage] = store.passages([best], store.embedder.embed_queries([question])[0])
    assert Path(passage.chunk.source).name == "vaccine-campaign.md"


@pytest.mark.parametrize("question, problem", [("   ", "empty"), ("x" * 2001, "longer than")])
def test_bad_question_is_a_clear_error(pipeline, question, problem):
    with pytest.raises(InputError, match=problem):
        pipeline.ask(question, k=3)


def test_questions_file_answers_in_input_order(settings, embedder, tmp_path):
    ingest_paths([FIXTURES], settings, ChunkStore(settings, embedder))
    questions = [{"id": 7, "question": "متى بدأ حصاد القمح؟"}, {"id": "b", "question": "Who won the chess title?"}]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    result = run(["rag", "ask", "--questions", str(path), "-k", "2"], settings)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["id"], a["question"]) for a in answers] == [(7, questions[0]["question"]), ("b", questions[1]["question"])]
    assert [len(a["passages"]) for a in answers] == [2, 2]
    assert answers[1]["passages"][0]["source"].endswith("chess-final.md")


def test_malformed_questions_file_names_the_line(settings, tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": 1, "question": "ok"}\n{"id": 2}\n', encoding="utf-8")
    result = run(["rag", "ask", "--questions", str(path)], settings)
    assert result.returncode == 2
    assert result.stderr.strip() == f'error: {path}:2: each line needs {{"id": ..., "question": "..."}}'


def test_filters_restrict_before_k(pipeline):
    chess_only = Filters(authors=("رامي عوض",))
    answer = pipeline.ask("Why was the bridge closed?", k=3, filters=chess_only)
    assert answer.passages and {p.chunk.author for p in answer.passages} == {"رامي عوض"}
    autumn = Filters(published_from="2026-09-01", published_to="2026-12-31")
    dates = {p.chunk.published for p in pipeline.ask("ماذا حدث؟", k=5, filters=autumn).passages}
    assert dates == {"2026-09-12", "2026-10-01"}


def test_bad_filter_date_is_a_clear_error_on_the_command_line(settings):
    result = run(["rag", "ask", "متى؟", "--from", "last tuesday"], settings)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: filters: date 'last tuesday' is not a date like 2026-03-14"


@pytest.mark.parametrize("question, article", [
    ("Who won the national chess championship?", "chess-final.md"),
    ("Why was the old bridge closed to trucks?", "bridge-closure.md"),
    ("What did the minister say about the water project?", "desalination-plant.md"),
])
def test_in_a_mixed_store_the_answering_article_beats_articles_in_the_questions_language(settings, embedder, question, article):
    samples = Path(__file__).resolve().parents[2] / "samples"
    ingest_paths([FIXTURES, samples], settings, ChunkStore(settings, embedder))
    passages = AskPipeline.open(settings, embedder).ask(question, k=3).passages
    # The answer is read from the top three passages; before the cross-language offset and stopwords, English
    # samples filled them and the Arabic article that answers ranked fourth or lower.
    assert article in {Path(p.chunk.source).name for p in passages}
