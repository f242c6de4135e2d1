"""`rag eval`: run a question set through the same path as `ask` and score retrieval and answers by language
and by question kind.

A dataset folder holds `articles/` and `questions.jsonl`, one {"id", "question", "answers", "article", "lang"}
per line, `article` being a file name under `articles/` (the layout of ARCD and news-ar in shared/data). Optional
fields, as news-ar has them: `answerable` (false, with `article` null: no article answers it, so Sanad should
refuse), `type` ("statement": what did X say / call for / warn; "factoid": who, when, where, how many) and
`related_article` (for an unanswerable question, the article it comes close to).
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import guess_language, normalize
from errors import InputError
from rag.features import question_type
from records import Answer, Filters
from settings import Settings

if TYPE_CHECKING:
    from vectorstore.store import ChunkStore

HIT_AT = (1, 3, 5, 10)
KINDS = ("said", "when", "count", "other")
SPLITS = ("all", "train", "test")
# The article-level split: an article (and every question about it, in either language) is in the test part when
# its name hashes there. Training (`rag train`) sees only the train part; figures to report come from the test part.
_TEST_SHARE = 3  # of 10
SAMPLE_SEED = 20261130  # the same samples every run, so figures compare
_EDGE_PUNCTUATION = " ،؛,.:;!?؟()[]{}\"'«»-–—"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    article: str  # the answering article's file name; for an unanswerable question, the one it comes close to
    lang: str
    answerable: bool = True
    kind: str = "other"  # one of KINDS

    @property
    def split(self) -> str:
        """'test' or 'train': where this question's article falls in the article-level split."""
        return "test" if zlib.crc32(self.article.encode()) % 10 < _TEST_SHARE else "train"


def question_kind(question: str, dataset_type: str | None = None) -> str:
    """said / when / count / other: the dataset's own "statement" label, else what the question asks for."""
    if dataset_type == "statement":
        return "said"
    kind = question_type(question)
    return kind if kind in KINDS and (kind != "said" or dataset_type is None) else "other"


@dataclass(frozen=True)
class Outcome:
    """How one question fared."""

    question: EvalQuestion
    removed: bool  # asked with its gold article filtered out of every search
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


def judge(question: EvalQuestion, answer: Answer, milliseconds: float, removed: bool = False) -> Outcome:
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
        question, removed, rank, hit, len(answer.text), holds_answer(top, question.answers), len(top),
        answer.abstained, milliseconds,
    )


def percentile(values: list[float], q: float) -> float:
    """The value at quantile q (0-1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarize(all_outcomes: list[Outcome]) -> dict[str, float]:
    """The figures for a group of outcomes: retrieval and answers on the answerable questions, then how often
    Sanad answered those and refused the unanswerable ones and those whose article was removed."""
    outcomes = [o for o in all_outcomes if o.question.answerable and not o.removed]
    removed = [o for o in all_outcomes if o.removed]
    unanswerable = [o for o in all_outcomes if not o.question.answerable]
    if not outcomes:
        return {"questions": 0, "unanswerable": len(unanswerable),
                "abstention_unanswerable": _share_abstained(unanswerable)}
    count = len(outcomes)
    figures: dict[str, float] = {"questions": count}
    for k in HIT_AT:
        figures[f"hit@{k}"] = sum(o.rank is not None and o.rank <= k for o in outcomes) / count
    figures["mrr@10"] = sum(1 / o.rank for o in outcomes if o.rank is not None and o.rank <= 10) / count
    figures["answer_hit"] = sum(o.answer_hit for o in outcomes) / count
    figures["answer_hit_of_hit@1"] = figures["answer_hit"] / figures["hit@1"] if figures["hit@1"] else None
    figures["median_answer_chars"] = statistics.median(o.answer_chars for o in outcomes)
    figures["passage_answer_hit"] = sum(o.passage_hit for o in outcomes) / count
    figures["passage_median_chars"] = statistics.median(o.passage_chars for o in outcomes)
    figures["abstention"] = sum(o.abstained for o in outcomes) / count
    figures["answer_rate"] = 1 - figures["abstention"]
    figures["unanswerable"] = len(unanswerable)
    figures["abstention_unanswerable"] = _share_abstained(unanswerable)
    figures["removed"] = len(removed)
    figures["abstention_removed"] = _share_abstained(removed)
    figures["p50_ms"] = statistics.median(o.milliseconds for o in outcomes)
    figures["p95_ms"] = percentile([o.milliseconds for o in outcomes], 0.95)
    return figures


def _share_abstained(outcomes: list[Outcome]) -> float | None:
    return sum(o.abstained for o in outcomes) / len(outcomes) if outcomes else None


def report(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    """Figures for all questions, for each language, for each question kind present, and for "said" questions
    in each language (the kind news is full of), in a stable order."""
    languages = sorted({o.question.lang for o in outcomes})
    groups = {"all": outcomes} | {lang: [o for o in outcomes if o.question.lang == lang] for lang in languages}
    for kind in KINDS:
        groups[kind] = [o for o in outcomes if o.question.kind == kind]
    for lang in languages:
        groups[f"{lang}:said"] = [o for o in outcomes if o.question.lang == lang and o.question.kind == "said"]
    return {name: summarize(group) for name, group in groups.items() if group}


def format_table(figures: dict[str, dict[str, float]]) -> str:
    """The report as a plain table: one row per figure, one column per group."""
    groups = list(figures)
    names = list(dict.fromkeys(name for group in figures.values() for name in group))
    lines = [f"{'':22}" + "".join(f"{g:>10}" for g in groups)]
    for name in names:
        cells = []
        for group in groups:
            value = figures[group].get(name)
            if value is None:  # the figure does not apply to this group
                cells.append(f"{'-':>10}")
            elif name in ("questions", "unanswerable", "removed") or name.endswith(("_chars", "_ms")):
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
            answerable = record.get("answerable", True)
            article = record["article"] if answerable else record.get("related_article") or str(record["id"])
            questions.append(EvalQuestion(
                str(record["id"]), record["question"], tuple(record["answers"]), article,
                record.get("lang") or guess_language(record["question"]), bool(answerable),
                question_kind(record["question"], record.get("type")),
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise InputError(str(path), f"not an eval question ({error!r})", number) from None
    return questions


def _as_record(question: EvalQuestion) -> dict:
    return {"answers": list(question.answers), "article": question.article, "lang": question.lang,
            "answerable": question.answerable}


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


def load_dataset(dataset: Path, extra_questions: Path | None = None, split: str = "all") -> list[EvalQuestion]:
    """The dataset's questions and any extra ones about the same articles, in the part of the split asked for."""
    own = dataset / "questions.jsonl"
    if not (dataset / "articles").is_dir() or not own.is_file():
        raise InputError(str(dataset), "expected articles/ and questions.jsonl in the dataset folder")
    questions = load_questions(own)
    if extra_questions:
        if not extra_questions.is_file():
            raise InputError(str(extra_questions), "no such file")
        questions += load_questions(extra_questions, {q.id: _as_record(q) for q in questions})
    return [q for q in questions if split == "all" or q.split == split]


@contextmanager
def dataset_store(
    dataset: Path, settings: Settings, db: Path | None, log: Callable[[str], None] = lambda line: None
) -> Iterator[tuple[ChunkStore, Settings, dict[str, str]]]:
    """A store that holds the dataset's articles as they are now, the settings it was opened with, and each
    article file name's stored source, to filter an article out.

    The articles are ingested every time, so that a store kept from an earlier run (--db) is measured as a fresh
    ingest would make it: an article whose file or reading changed since is written again; the rest costs only
    reading."""
    from ingest.pipeline import ingest_paths
    from vectorstore.embedder import Embedder
    from vectorstore.store import ChunkStore

    with eval_settings(settings, db) as used:
        store = ChunkStore(used, Embedder(used))
        log(ingest_paths([dataset / "articles"], used, store).summary())
        yield store, used, {Path(source).name: source for source in store.sources()}


def asked(
    questions: list[EvalQuestion], sources: dict[str, str], removed: int
) -> list[tuple[EvalQuestion, Filters | None]]:
    """Every question as it is, then a fixed sample of `removed` answerable ones with their gold article filtered
    out of every search, as if it had never been ingested."""
    answerable = [q for q in questions if q.answerable]
    sample = random.Random(SAMPLE_SEED).sample(answerable, min(removed, len(answerable)))
    return [(q, None) for q in questions] + [
        (q, Filters(exclude_sources=(sources.get(q.article, q.article),))) for q in sample
    ]


def run_eval(
    dataset: Path, settings: Settings, db: Path | None, k: int, extra_questions: Path | None = None,
    removed: int = 200, split: str = "all", log: Callable[[str], None] = lambda line: None,
) -> dict[str, dict[str, float]]:
    """Ask every question of the split (and a sample again with its article removed) and report the figures."""
    from rag.pipeline import AskPipeline

    questions = load_dataset(dataset, extra_questions, split)
    with dataset_store(dataset, settings, db, log) as (store, used, sources):
        pipeline = AskPipeline.over(store, used)
        outcomes = []
        for question, filters in asked(questions, sources, removed):
            started = time.perf_counter()
            answer = pipeline.ask(question.question, max(k, max(HIT_AT)), filters)
            outcomes.append(judge(question, answer, (time.perf_counter() - started) * 1000, filters is not None))
    return report(outcomes)
