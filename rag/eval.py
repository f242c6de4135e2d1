"""`rag eval`: run a question set through the same path as `ask` and score retrieval and answers by language.

A dataset folder holds `articles/` and `questions.jsonl`, one {"id", "question", "answers", "article", "lang"}
per line, `article` being a file name under `articles/` (the layout of ARCD as shipped in shared/data/arcd).
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analysis import guess_language, normalize
from errors import InputError
from records import Answer, Filters
from settings import Settings

HIT_AT = (1, 3, 5, 10)
_SAMPLE_SEED = 20261130  # the same unanswerable sample every run, so figures compare
_EDGE_PUNCTUATION = " ،؛,.:;!?؟()[]{}\"'«»-–—"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    article: str
    lang: str


@dataclass(frozen=True)
class Outcome:
    """How one question fared."""

    question: EvalQuestion
    unanswerable: bool  # asked with its gold article filtered out of every search
    rank: int | None  # 1-based rank of the first passage that holds a gold answer, from the right article
    answer_hit: bool
    answer_chars: int
    passage_hit: bool  # the baseline answer: the whole top passage
    passage_chars: int
    abstained: bool
    milliseconds: float


def gold_forms(answers: tuple[str, ...]) -> list[str]:
    """Gold answers as compared: normalised, without the punctuation crowdworkers left at their edges."""
    return [form for a in answers if (form := normalize(a).strip(_EDGE_PUNCTUATION))]


def holds_answer(text: str, answers: tuple[str, ...]) -> bool:
    """Whether `text` contains one of the gold answers, after Arabic normalisation of both."""
    normalized = normalize(text)
    return any(form in normalized for form in gold_forms(answers))


def judge(question: EvalQuestion, answer: Answer, milliseconds: float, unanswerable: bool = False) -> Outcome:
    """Score one answer: where the first right passage ranks, and whether the answer text holds the answer."""
    rank = next(
        (
            n for n, p in enumerate(answer.passages, start=1)
            if Path(p.chunk.source).name == question.article and holds_answer(p.chunk.text, question.answers)
        ),
        None,
    )
    hit = not answer.abstained and holds_answer(answer.text, question.answers)
    top = answer.passages[0].chunk.text if answer.passages else ""
    return Outcome(
        question, unanswerable, rank, hit, len(answer.text), holds_answer(top, question.answers), len(top),
        answer.abstained, milliseconds,
    )


def percentile(values: list[float], q: float) -> float:
    """The value at quantile q (0-1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarize(all_outcomes: list[Outcome]) -> dict[str, float]:
    """The figures for a group of outcomes: retrieval and answers on the normal questions, then how often
    Sanad answered those and abstained on the ones whose article was removed."""
    outcomes = [o for o in all_outcomes if not o.unanswerable]
    removed = [o for o in all_outcomes if o.unanswerable]
    if not outcomes:
        return {"questions": 0}
    count = len(outcomes)
    figures: dict[str, float] = {"questions": count}
    for k in HIT_AT:
        figures[f"hit@{k}"] = sum(o.rank is not None and o.rank <= k for o in outcomes) / count
    figures["mrr@10"] = sum(1 / o.rank for o in outcomes if o.rank is not None and o.rank <= 10) / count
    figures["answer_hit"] = sum(o.answer_hit for o in outcomes) / count
    figures["median_answer_chars"] = statistics.median(o.answer_chars for o in outcomes)
    figures["passage_answer_hit"] = sum(o.passage_hit for o in outcomes) / count
    figures["passage_median_chars"] = statistics.median(o.passage_chars for o in outcomes)
    figures["abstention"] = sum(o.abstained for o in outcomes) / count
    figures["answer_rate"] = 1 - figures["abstention"]
    figures["unanswerable"] = len(removed)
    figures["abstention_unanswerable"] = sum(o.abstained for o in removed) / len(removed) if removed else None
    figures["p50_ms"] = statistics.median(o.milliseconds for o in outcomes)
    figures["p95_ms"] = percentile([o.milliseconds for o in outcomes], 0.95)
    return figures


def report(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Figures for all questions, then for each language, in a stable order."""
    languages = sorted({o.question.lang for o in outcomes})
    return {"all": summarize(outcomes)} | {
        lang: summarize([o for o in outcomes if o.question.lang == lang]) for lang in languages
    }


def format_table(figures: dict[str, dict[str, float]]) -> str:
    """The report as a plain table: one row per figure, one column per group."""
    groups = list(figures)
    names = list(figures["all"])
    lines = [f"{'':22}" + "".join(f"{g:>10}" for g in groups)]
    for name in names:
        cells = []
        for group in groups:
            value = figures[group].get(name)
            if value is None:  # the figure does not apply to this group
                cells.append(f"{'-':>10}")
            elif name in ("questions", "unanswerable") or name.endswith(("_chars", "_ms")):
                cells.append(f"{value:>10.0f}")
            else:
                cells.append(f"{value:>10.3f}")
        lines.append(f"{name:22}" + "".join(cells))
    return "\n".join(lines)


def load_questions(path: Path, reference: dict[str, dict] | None = None) -> list[EvalQuestion]:
    """Questions with gold answers; a line that lacks a field is an error naming the line.

    A line may say `"same_as": ID` instead of giving `answers` and `article`: it then takes them from question
    ID of `reference`, so that a question set in another language needs no copy of the dataset's text.
    """
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "same_as" in record:
                record = {**(reference or {})[str(record["same_as"])], **record}
            answers = tuple(record["answers"])
            questions.append(EvalQuestion(
                str(record["id"]), record["question"], answers, record["article"],
                record.get("lang") or guess_language(record["question"]),
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise InputError(str(path), f"not an eval question ({error!r})", number) from None
    return questions


def _as_record(question: EvalQuestion) -> dict:
    return {"answers": list(question.answers), "article": question.article, "lang": question.lang}


@contextmanager
def eval_settings(settings: Settings, db: Path | None) -> Iterator[Settings]:
    """The named store, or a fresh temporary one that shares the converted model."""
    if db is not None:
        yield settings.model_copy(update={"data_dir": db})
        return
    with tempfile.TemporaryDirectory(prefix="sanad-eval-") as scratch:
        yield settings.model_copy(
            update={"data_dir": Path(scratch), "model_dir": settings.bundled_model_path.parent}
        )


def run_eval(
    dataset: Path, settings: Settings, db: Path | None, k: int, extra_questions: Path | None = None,
    unanswerable: int = 200, log: Callable[[str], None] = lambda line: None,
) -> dict[str, dict[str, float]]:
    """Ingest the dataset's articles unless the store holds them, ask every question (the dataset's and any
    extra ones about the same articles), then ask a sample of `unanswerable` of them again with their gold
    article filtered out of every search, as if it had never been ingested, and report the figures."""
    from ingest.pipeline import ingest_paths
    from rag.pipeline import AskPipeline

    own = dataset / "questions.jsonl"
    if not (dataset / "articles").is_dir() or not own.is_file():
        raise InputError(str(dataset), "expected articles/ and questions.jsonl in the dataset folder")
    questions = load_questions(own)
    if extra_questions:
        if not extra_questions.is_file():
            raise InputError(str(extra_questions), "no such file")
        questions += load_questions(extra_questions, {q.id: _as_record(q) for q in questions})
    with eval_settings(settings, db) as used:
        pipeline = AskPipeline.open(used)
        store = pipeline.retriever.store
        if store.count() == 0:
            log(ingest_paths([dataset / "articles"], used, store).summary())
        sources = {Path(source).name: source for source in store.sources()}
        removed = random.Random(_SAMPLE_SEED).sample(questions, min(unanswerable, len(questions)))
        outcomes = []
        for question, filters in [(q, None) for q in questions] + [(q, _without(q, sources)) for q in removed]:
            started = time.perf_counter()
            answer = pipeline.ask(question.question, max(k, max(HIT_AT)), filters)
            outcomes.append(judge(question, answer, (time.perf_counter() - started) * 1000, filters is not None))
    return report(outcomes)


def _without(question: EvalQuestion, sources: dict[str, str]) -> Filters:
    return Filters(exclude_sources=(sources.get(question.article, question.article),))
