"""`python -m rag train`: fit the answer scorer on the train part of the article-level split of dev datasets.

Every question of the train part is searched as `ask` searches it; each unit of its top passages becomes a row
(rag/features.py) labelled 1 when it holds a gold answer. Unanswerable questions, a sample asked again with
their article removed, and a sample of the other datasets' questions (off the store's subject) add rows that are
all 0: they teach the scorer when to refuse. Each dataset weighs the
same, whatever its size, so a large encyclopaedic set does not drown the news one.

The refusal thresholds are chosen on out-of-fold probabilities (five folds grouped by article, so no article is
scored by a model that saw it): the highest that refuse at most REFUSAL_BUDGET of answerable questions in every
dataset, one for answers quoted in the question's language and one for answers across languages (an English
question about an Arabic article), whose probabilities run lower for the same evidence. The test part of the
split is never read here; `rag eval --split test` reports on it.
"""

from __future__ import annotations

from collections.abc import Callable
import random
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from errors import InputError
from rag.eval import SAMPLE_SEED, EvalQuestion, asked, dataset_store, holds_answer, load_dataset
from rag.features import FeatureMaker
from rag.retrieve import Retriever
from rag.scorer import AnswerScorer, Trees
from settings import Settings

# At most this share of answerable training questions may be refused (out of fold): the target is 5% on unseen
# articles, so the threshold leaves a margin.
REFUSAL_BUDGET = 0.04
_FOLDS = 5
_K = 10  # passages searched per question, as `rag eval` does
# A dataset sets the threshold of units in (or across) languages only with at least this many answerable
# questions whose best unit is one: a 4% quantile of fewer is one question's luck.
_MIN_QUESTIONS = 20


@dataclass
class _Question:
    dataset: str
    group: str  # the article, so folds never split one
    answerable: bool  # asked as it is, about an article in the store
    rows: np.ndarray
    labels: np.ndarray


@dataclass
class TrainingSet:
    """Feature rows of every question, kept per question so thresholds can be judged question by question."""

    questions: list[_Question] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows, labels, group of each row, and weights that give each dataset the same total."""
        rows = np.vstack([q.rows for q in self.questions])
        labels = np.concatenate([q.labels for q in self.questions])
        groups = np.concatenate([[q.group] * len(q.rows) for q in self.questions])
        sizes = {d: sum(len(q.rows) for q in self.questions if q.dataset == d) for d in self.datasets}
        share = {dataset: len(labels) / (len(sizes) * size) for dataset, size in sizes.items()}
        weights = np.concatenate([[share[q.dataset]] * len(q.rows) for q in self.questions])
        return rows, labels, groups, weights

    @property
    def datasets(self) -> list[str]:
        """The datasets' names, in the order they were read."""
        return list(dict.fromkeys(q.dataset for q in self.questions))


def collect(
    datasets: list[Path], settings: Settings, extra_questions: dict[str, Path], removed: int,
    db_root: Path | None = None, log: Callable[[str], None] = lambda line: None,
) -> TrainingSet:
    """Search every train-part question of each dataset and turn its candidates into labelled rows; each
    dataset's store is DB_ROOT/<dataset name> (brought up to date with its articles first), or a temporary one."""
    collected = TrainingSet()
    train_parts = {dataset: load_dataset(dataset, extra_questions.get(dataset.name), "train") for dataset in datasets}
    for dataset, questions in train_parts.items():
        db = db_root / dataset.name if db_root else None
        with dataset_store(dataset, settings, db, log) as (store, used, sources):
            retriever, features = Retriever(store, used), FeatureMaker(store)
            foreign = _foreign(train_parts, dataset, removed)
            own = [(question, filters, True) for question, filters in asked(questions, sources, removed)]
            for question, filters, mine in own + [(question, None, False) for question in foreign]:
                vector = store.embedder.embed_queries([question.question])[0]
                passages = retriever.retrieve(question.question, _K, filters, vector)
                candidates = features.candidates(question.question, vector, passages)
                if not candidates:
                    continue
                answerable = mine and question.answerable and filters is None
                labels = [answerable and holds_answer(c.sentence.text, question.answers) for c in candidates]
                collected.questions.append(_Question(
                    dataset.name, f"{dataset.name}/{'' if mine else 'foreign/'}{question.article}", answerable,
                    np.array([c.features for c in candidates]), np.array(labels, dtype=np.int8),
                ))
        log(f"{dataset.name}: {len(questions)} train questions read, and {len(foreign)} of other datasets")
    if not collected.questions:
        raise InputError(", ".join(map(str, datasets)), "no training question produced a candidate")
    return collected


def _foreign(train_parts: dict[Path, list[EvalQuestion]], dataset: Path, count: int) -> list[EvalQuestion]:
    """A fixed sample of other datasets' answerable questions: asked of this dataset's store, about things it never
    covered ("What is the capital of Australia?" of a news archive), they are unanswerable."""
    others = [q for other, questions in train_parts.items() if other != dataset for q in questions if q.answerable]
    return random.Random(SAMPLE_SEED).sample(others, min(count, len(others)))


def _fit(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> AnswerScorer:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    linear = LogisticRegression(C=1.0, max_iter=2000)
    linear.fit((rows - mean) / scale, labels, sample_weight=weights)
    # Leaves of at least 200 rows, and L2 on their values: with the library's defaults (20 rows, none) Arabic news
    # choice was 0.796 and refusal 0.887 out of fold, against 0.816 and 0.920.
    trees = HistGradientBoostingClassifier(min_samples_leaf=200, l2_regularization=1.0, random_state=0)
    trees.fit(rows, labels, sample_weight=weights)
    return AnswerScorer(mean, scale, linear.coef_[0], float(linear.intercept_[0]), Trees.of(trees), (0.5, 0.5))


@dataclass(frozen=True)
class _Best:
    """A question's most probable unit, as a model that never saw its article scores it."""

    probability: float
    crosses: bool  # the unit is in another language than the question


def _out_of_fold(training: TrainingSet) -> list[_Best]:
    """Each question's best unit, scored by a model that never saw its article."""
    from sklearn.model_selection import GroupKFold

    rows, labels, groups, weights = training.arrays()
    probabilities = np.zeros(len(rows))
    for fit_at, score_at in GroupKFold(n_splits=_FOLDS).split(rows, labels, groups):
        probabilities[score_at] = _fit(rows[fit_at], labels[fit_at], weights[fit_at]).probabilities(rows[score_at])
    bests, at = [], 0
    for question in training.questions:
        best = at + int(probabilities[at : at + len(question.rows)].argmax())
        bests.append(_Best(float(probabilities[best]), AnswerScorer.crosses(rows[best])))
        at += len(question.rows)
    return bests


def _threshold(bests: list[_Best], training: TrainingSet, crosses: bool) -> float:
    """The highest threshold that refuses at most REFUSAL_BUDGET of the answerable questions of every dataset
    whose best unit crosses languages or not, as asked; datasets with too few such questions do not set it, and
    when none has enough, all answerable questions do."""
    def answerable(dataset: str, any_language: bool = False) -> list[float]:
        return [
            b.probability for b, q in zip(bests, training.questions)
            if q.dataset == dataset and q.answerable and (any_language or b.crosses == crosses)
        ]

    groups = [g for g in map(answerable, training.datasets) if len(g) >= _MIN_QUESTIONS]
    groups = groups or [answerable(dataset, any_language=True) for dataset in training.datasets]
    return min(float(np.quantile(g, REFUSAL_BUDGET)) for g in groups if g)


def train(training: TrainingSet) -> tuple[AnswerScorer, dict]:
    """The scorer fitted on every row, its thresholds chosen out of fold, and what it was trained on."""
    bests = _out_of_fold(training)
    thresholds = (_threshold(bests, training, crosses=False), _threshold(bests, training, crosses=True))
    rows, labels, _, weights = training.arrays()
    scorer = replace(_fit(rows, labels, weights), thresholds=thresholds)
    record = {"split": "train", "refusal_budget": REFUSAL_BUDGET, "rows": int(len(rows)), "datasets": {}}
    for dataset in training.datasets:
        mine = [(b, q) for b, q in zip(bests, training.questions) if q.dataset == dataset]
        refused = {answerable: [b.probability < thresholds[b.crosses] for b, q in mine if q.answerable == answerable]
                   for answerable in (True, False)}
        record["datasets"][dataset] = {
            "questions": len(mine),
            "out_of_fold_refused_answerable": round(float(np.mean(refused[True])), 3),
            "out_of_fold_refused_unanswerable": round(float(np.mean(refused[False])), 3) if refused[False] else None,
        }
    return scorer, record
