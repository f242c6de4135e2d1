"""LLM answers through LangChain against a local OpenAI-compatible server: verified citations and fallbacks."""

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from rag.conversation import Turn
from rag.pipeline import AskPipeline
from tests import openai_server
from tests.openai_server import Reply
from vectorstore.store import ChunkStore

FIXTURES = Path(__file__).parent.parent / "fixtures" / "crosslingual"
GOOD = "فازت جود الحسيني ببطولة البلاد للشطرنج بعد تعادلها في الجولة الأخيرة مع حامل اللقب [1]."
QUESTION = "من فازت ببطولة الشطرنج الوطنية؟"


@pytest.fixture(scope="module")
def chat():
    server, httpd = openai_server.start()
    yield server
    httpd.shutdown()


@pytest.fixture(scope="module")
def pipeline(base_settings, embedder, tmp_path_factory, chat):
    settings = base_settings.model_copy(update={
        "data_dir": tmp_path_factory.mktemp("llm"), "llm_base_url": chat.url, "llm_model": "test-model",
        "llm_timeout_seconds": 2.0,
    })
    docs = tmp_path_factory.mktemp("docs")
    (docs / "rail.md").write_text(
        "# Rail line approved\n\nThe new coastal line will carry 9000 passengers a day in its first year.\n", encoding="utf-8"
    )
    ingest_paths([FIXTURES, docs], settings, ChunkStore(settings, embedder))
    return AskPipeline.open(settings, embedder)


def test_a_supported_answer_is_kept_and_streamed_token_by_token(pipeline, chat):
    chat.script(Reply(GOOD))
    events = list(pipeline.stream(QUESTION, k=3))
    answer = events[-1]["answer"]
    assert answer.mode == "llm" and answer.text == GOOD and answer.notes == [] and answer.cited == [1]
    deltas = [e["text"] for e in events if e["event"] == "delta"]
    assert len(deltas) == len(GOOD.split(" ")) and "".join(deltas) == GOOD
    prompt = chat.requests[0]["messages"][1]["content"]
    assert chat.requests[0]["stream"] is True and "[1] شابة في السابعة عشرة" in prompt and "2026-02-03" in prompt


@pytest.mark.parametrize("extra, problem", [
    ("وحصلت على جائزة مالية كبيرة [7].", "cites [7], which is not one of the 3 passages"),
    ("وقد أهداها الاتحاد سيارة جديدة.", "cites no passage"),
])
def test_a_bad_sentence_is_removed_and_said_so(pipeline, chat, extra, problem):
    chat.script(Reply(f"{GOOD} {extra}"))
    answer = pipeline.ask(QUESTION, k=3)
    assert answer.mode == "llm" and answer.text == GOOD
    assert answer.notes == [f"حُذفت جملة من إجابة النموذج لأنها {problem}: «{extra}»"]


def test_a_claim_that_contradicts_its_passage_is_not_kept(pipeline, chat):
    chat.script(Reply("The new coastal line will carry 20000 passengers a day [1]."))
    answer = pipeline.ask("How many passengers will the coastal line carry each day?", k=3)
    assert answer.mode == "extractive" and "9000 passengers" in answer.text
    assert answer.notes == [
        "The language model's answer could not be used (states 20000, which its passages do not); "
        "this answer is quoted from the articles."
    ]


@pytest.mark.parametrize("reply, reason", [
    (Reply(GOOD, delay=3.0), "the model did not answer in time"),
    (Reply(status=500), "the model's server answered 500"),
])
def test_a_failing_model_falls_back_to_the_extractive_answer(pipeline, chat, reply, reason):
    chat.script(reply)
    answer = pipeline.ask(QUESTION, k=3)
    assert answer.mode == "extractive" and "جود الحسيني" in answer.text
    assert answer.notes == [f"تعذّر استخدام إجابة النموذج اللغوي ({reason})؛ هذه الإجابة مقتبسة من المقالات مباشرة."]


def test_a_refusal_stands_when_the_articles_do_not_answer(pipeline, chat):
    chat.script(Reply("NO_ANSWER"))
    answer = pipeline.ask("What is the capital of Australia?", k=3)
    assert answer.abstained and answer.notes == []


def test_a_follow_up_is_condensed_by_the_model(pipeline, chat):
    chat.script(Reply(GOOD))
    first = pipeline.ask(QUESTION, k=3)
    assert len(chat.requests) == 1  # no history, so nothing to condense
    chat.script(Reply("كم ساعة كانت جود الحسيني تتدرب يومياً استعداداً لبطولة الشطرنج؟"), Reply("NO_ANSWER"))
    answer = pipeline.ask("وكم ساعة؟", k=3, history=[Turn.of(QUESTION, first)])
    assert f"Q: {QUESTION}\nA: {GOOD}\nQ: وكم ساعة؟" in chat.requests[0]["messages"][1]["content"]
    assert Path(answer.passages[0].chunk.source).name == "chess-final.md" and "ست ساعات" in answer.text


def test_a_claim_its_passage_does_not_make_is_not_kept(pipeline, chat):
    chat.script(Reply("أهدى الاتحاد جود الحسيني سيارة جديدة بعد فوزها [1]."))
    answer = pipeline.ask(QUESTION, k=3)
    assert answer.mode == "extractive" and "is not supported by the passage it cites" in answer.notes[0]
