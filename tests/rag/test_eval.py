"""The eval command's scoring, on hand-made cases whose figures are known, and one real run."""

import json
import shutil
from pathlib import Path

import pytest

from rag.eval import EvalQuestion, holds_answer, judge, load_questions, report
from records import Answer, Chunk, Passage
from tests.cli import run

FIXTURES = Path(__file__).parent.parent / "fixtures" / "crosslingual"


def passage(source: str, text: str) -> Passage:
    return Passage(Chunk(id=text, article_id=source, index=0, text=text, start=0, end=len(text), title="", source=source), 0.5)


def question(lang="ar", answers=("عام 2005",), article="فلسطين.md") -> EvalQuestion:
    return EvalQuestion("q", "متى؟", answers, article, lang)


@pytest.mark.parametrize("text, answers, expected", [
    ("انسحبت إسرائيل من غزة عامَ 2005.", ("عام 2005",), True),            # diacritics in the text
    ("انسحبت من غزة عام\u00a02005", ("عام 2005",), True),                 # no-break space
    ("ولد في (11 ديسمبر 1911) بالقاهرة", ("(11 ديسمبر 1911",), True),     # gold with stray punctuation
    ("أحمد ذهب إلى المدرسة", ("احمد",), True),                            # alef with hamza
    ("انسحبت عام 2006", ("عام 2005",), False),
    ("anything", ("",), False),                                            # an empty gold never matches
])
def test_answer_containment_after_normalisation(text, answers, expected):
    assert holds_answer(text, answers) is expected


def test_rank_needs_the_right_article_and_the_answer():
    answer = Answer("متى؟", "عام 2005 [3]", False, [
        passage("/x/غزة.md", "عام 2005"),             # the answer, but another article
        passage("/x/فلسطين.md", "لا شيء هنا"),         # the article, but no answer
        passage("/x/فلسطين.md", "انسحبت عام 2005."),
    ])
    outcome = judge(question(), answer, 12.0)
    assert (outcome.rank, outcome.answer_hit, outcome.answer_chars) == (3, True, len("عام 2005 [3]"))


def test_figures_by_language():
    right = [passage("/a/فلسطين.md", "عام 2005")]
    outcomes = [
        judge(question("ar"), Answer("q", "عام 2005 [1]", False, right), 10),
        judge(question("ar"), Answer("q", "لا أعرف", True, right[:0]), 30),
        judge(question("en"), Answer("q", "x [2]", False, [passage("/a/b.md", "x"), *right]), 20),
    ]
    figures = report(outcomes)
    assert list(figures) == ["all", "ar", "en", "other"]  # questions made by hand here are of kind "other"
    assert figures["ar"]["hit@1"] == 0.5 and figures["ar"]["abstention"] == 0.5 and figures["ar"]["answer_hit"] == 0.5
    assert figures["en"]["hit@1"] == 0 and figures["en"]["hit@3"] == 1 and figures["en"]["mrr@10"] == 0.5
    assert figures["all"]["mrr@10"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert figures["all"]["p50_ms"] == 20 and figures["all"]["questions"] == 3


def test_questions_can_borrow_answers_from_the_dataset(tmp_path):
    path = tmp_path / "en.jsonl"
    path.write_text('{"id": "en-1", "lang": "en", "question": "When?", "same_as": "7"}\n', encoding="utf-8")
    reference = {"7": {"answers": ["عام 2005"], "article": "فلسطين.md", "lang": "ar"}}
    assert load_questions(path, reference) == [EvalQuestion("en-1", "When?", ("عام 2005",), "فلسطين.md", "en", kind="when")]


def test_eval_command_on_a_small_dataset(settings, tmp_path):
    dataset = tmp_path / "set"
    shutil.copytree(FIXTURES, dataset / "articles")
    questions = [
        {"id": 1, "question": "من فاز ببطولة الشطرنج؟", "answers": ["جود الحسيني"], "article": "chess-final.md"},
        {"id": 2, "question": "كم مدرسة ستزور الفرق الطبية؟", "answers": ["ألفاً وخمسمئة مدرسة"], "article": "vaccine-campaign.md"},
        {"id": 3, "question": "كم طناً ينتج الهكتار؟", "answers": ["أربعة أطنان"], "article": "wheat-harvest.md"},
        {"id": 4, "question": "ما الذي حدث للجسر؟", "answers": ["جواب لا يرد في أي مقال"], "article": "bridge-closure.md"},
    ]
    (dataset / "questions.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), encoding="utf-8")
    english = tmp_path / "en.jsonl"
    english.write_text('{"id": "e1", "lang": "en", "question": "Who won the chess championship?", "same_as": "1"}\n', encoding="utf-8")
    result = run(["rag", "eval", str(dataset), "--json", "--add-questions", str(english)], settings)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    # Four short articles fit in ten passages, so every answerable question is found by rank 10.
    assert figures["ar"]["questions"] == 4 and figures["ar"]["hit@10"] == 0.75
    assert figures["en"]["questions"] == 1 and figures["en"]["hit@10"] == 1.0
    assert figures["all"]["p95_ms"] >= figures["all"]["p50_ms"] > 0


def test_eval_brings_a_kept_store_up_to_date(settings, tmp_path):
    dataset = tmp_path / "set"
    shutil.copytree(FIXTURES, dataset / "articles")
    question = {"id": 1, "question": "من فاز ببطولة الشطرنج؟", "answers": ["جود الحسيني"], "article": "chess-final.md"}
    (dataset / "questions.jsonl").write_text(json.dumps(question, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "kept"
    first = run(["rag", "eval", str(dataset), "--db", str(db), "--json", "--removed", "0"], settings)
    assert first.returncode == 0 and json.loads(first.stdout)["ar"]["hit@1"] == 1.0, first.stderr
    # The winner's name is corrected in the article after the store was made: the kept store must follow.
    chess = dataset / "articles" / "chess-final.md"
    chess.write_text(chess.read_text(encoding="utf-8").replace("جود الحسيني", "جود العلي"), encoding="utf-8")
    question["answers"] = ["جود العلي"]
    (dataset / "questions.jsonl").write_text(json.dumps(question, ensure_ascii=False), encoding="utf-8")
    again = run(["rag", "eval", str(dataset), "--db", str(db), "--json", "--removed", "0"], settings)
    assert again.returncode == 0, again.stderr
    assert "0 added, 1 updated" in again.stderr and json.loads(again.stdout)["ar"]["hit@1"] == 1.0


def test_eval_of_a_folder_that_is_not_a_dataset(settings, tmp_path):
    result = run(["rag", "eval", str(tmp_path)], settings)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path}: expected articles/ and questions.jsonl in the dataset folder"


def test_news_questions_carry_their_kind_and_unanswerable_ones_count_apart(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "n1:ar", "lang": "ar", "question": "إلى ماذا دعا الحزب؟", "answers": ["حشد الطاقات"],
         "article": "a.md", "answerable": True, "type": "statement"},
        {"id": "n2:en", "lang": "en", "question": "When was the treaty signed?", "answers": ["1992"],
         "article": "a.md", "answerable": True, "type": "factoid"},
        {"id": "u1:en", "lang": "en", "question": "What did Macron say?", "answers": [], "article": None,
         "answerable": False, "type": "statement", "related_article": "b.md"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    said, when, unanswerable = load_questions(path)
    assert (said.kind, when.kind, unanswerable.kind) == ("said", "when", "said")
    assert unanswerable.answerable is False and unanswerable.article == "b.md"  # split with the article it nears
    hit = [passage("/a/a.md", "حشد الطاقات")]
    figures = report([
        judge(said, Answer("q", "حشد الطاقات [1]", False, hit), 10),
        judge(unanswerable, Answer("q", "لا أعرف", True, hit), 10),
        judge(said, Answer("q", "لا أعرف", True, []), 10, removed=True),
    ])
    assert figures["all"]["questions"] == 1 and figures["all"]["answer_hit"] == 1.0
    assert figures["all"]["abstention_unanswerable"] == 1.0 and figures["all"]["abstention_removed"] == 1.0
    assert figures["ar:said"]["questions"] == 1 and "en:said" in figures
