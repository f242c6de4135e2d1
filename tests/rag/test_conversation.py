"""Streaming and follow-up questions through the Python API."""

from pathlib import Path

import pytest

from rag.conversation import Turn, is_follow_up, retrieval_query


def test_stream_yields_the_answer_sentence_by_sentence_then_the_whole(pipeline):
    events = list(pipeline.stream("كم طناً أنتج الهكتار الواحد هذا العام؟", k=3))
    deltas = [e["text"] for e in events if e["event"] == "delta"]
    final = events[-1]
    assert final["event"] == "answer" and "".join(deltas) == final["answer"].text
    assert deltas[0].startswith("بحسب") and len(deltas) == 1 + len(final["answer"].citations)
    assert all(d.rstrip().endswith("]") for d in deltas[1:])


@pytest.mark.parametrize("question, expected", [
    ("ومتى حدث ذلك؟", True), ("وماذا قال عنها؟", True), ("and what did he say about Russia?", True),
    ("How long?", True), ("من فازت ببطولة الشطرنج الوطنية؟", False), ("Why was the old bridge closed to trucks?", False),
])
def test_follow_up_detection(question, expected):
    assert is_follow_up(question) is expected


def test_a_new_question_is_searched_as_it_is():
    history = [Turn("من فاز؟", "x")]
    assert retrieval_query("Why was the old bridge closed to trucks?", history) == "Why was the old bridge closed to trucks?"


@pytest.mark.parametrize("first, follow_up", [
    ("لماذا أطلقت حملة التطعيم ضد الحصبة؟", "وكم ستستغرق؟"),
    ("Why was a measles campaign launched?", "How long will it take?"),
])
def test_follow_up_is_searched_with_the_previous_subject(pipeline, first, follow_up):
    alone = pipeline.ask(follow_up, k=3)
    answer = pipeline.ask(follow_up, k=3, history=[Turn.of(first, pipeline.ask(first, k=3))])
    # Alone, "how long will it take?" fits the bridge repairs best; after the campaign question, the campaign.
    assert Path(alone.passages[0].chunk.source).name == "bridge-closure.md"
    assert answer.question == follow_up and Path(answer.passages[0].chunk.source).name == "vaccine-campaign.md"


def test_follow_up_answers_what_it_asks_not_the_previous_question(pipeline):
    first = "Why was the old bridge closed to trucks?"
    previous = pipeline.ask(first, k=3)
    answer = pipeline.ask("And how long will that work take?", k=3, history=[Turn.of(first, previous)])
    assert Path(answer.passages[0].chunk.source).name == "bridge-closure.md"
    assert not answer.abstained and "ثمانية أشهر" in answer.text
    assert previous.citations[0].text not in answer.text
