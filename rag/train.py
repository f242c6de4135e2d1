"""`python -m rag train`: fit the answer scorer on the train part of the article-level split of dev datasets.

Every question of the train part is searched as `ask` searches it; each unit of its top passages becomes a row
(rag/features.py) labelled 1 when it holds a gold answer. Unanswerable questions, and a sample asked again with
their article removed, add rows that are all 0: they teach the scorer when to refuse. Each dataset weighs the
same, whatever its size, so a large encyclopaedic set does not drown the news one.

The refusal threshold is chosen on out-of-fold probabilities (five folds grouped by article, so no article is
scored by a model that saw it): the highest threshold that refuses at most REFUSAL_BUDGET of answerable questions
in every dataset. The test part of the split is never read here; `rag eval --split test` reports on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from errors import InputError
from rag.eval import asked, dataset_store, holds_answer, load_dataset
from rag.features import FeatureMaker
from rag.retrieve import Retriever
from rag.scorer import AnswerScorer
from settings import Settings

# At most this share of answerable training questions may be refused (out of fold): the target is 5% on unseen
# articles, so the threshold leaves a margin.
REFUSAL_BUDGET = 0.04
_FOLDS = 5
_K = 10  # passages searched per question, as `rag eval` does


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
    dataset's store is DB_ROOT/<dataset name> (ingested there when empty), or a temporary one."""
    collected = TrainingSet()
    for dataset in datasets:
        questions = load_dataset(dataset, extra_questions.get(dataset.name), "train")
        db = db_root / dataset.name if db_root else None
        with dataset_store(dataset, settings, db, log) as (store, used, sources):
            retriever, features = Retriever(store, used), FeatureMaker(store)
            for question, filters in asked(questions, sources, removed):
                vector = store.embedder.embed_queries([question.question])[0]
                passages = retriever.retrieve(question.question, _K, filters, vector)
                candidates = features.candidates(question.question, vector, passages)
                if not candidates:
                    continue
                answerable = question.answerable and filters is None
                labels = [answerable and holds_answer(c.sentence.text, question.answers) for c in candidates]
                collected.questions.append(_Question(
                    dataset.name, f"{dataset.name}/{question.article}", answerable,
                    np.array([c.features for c in candidates]), np.array(labels, dtype=np.int8),
                ))
        log(f"{dataset.name}: {len(questions)} train questions read")
    if not collected.questions:
        raise InputError(", ".join(map(str, datasets)), "no training question produced a candidate")
    return collected


def _fit(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> AnswerScorer:
    from sklearn.linear_model import LogisticRegression

    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit((rows - mean) / scale, labels, sample_weight=weights)
    return AnswerScorer(mean, scale, model.coef_[0], float(model.intercept_[0]), 0.5)


def _out_of_fold(training: TrainingSet) -> list[float]:
    """Each question's best probability from a model that never saw its article."""
    from sklearn.model_selection import GroupKFold

    rows, labels, groups, weights = training.arrays()
    best_of_row = np.zeros(len(rows))
    for fit_at, score_at in GroupKFold(n_splits=_FOLDS).split(rows, labels, groups):
        best_of_row[score_at] = _fit(rows[fit_at], labels[fit_at], weights[fit_at]).probabilities(rows[score_at])
    bests, at = [], 0
    for question in training.questions:
        bests.append(float(best_of_row[at : at + len(question.rows)].max()))
        at += len(question.rows)
    return bests


def train(training: TrainingSet) -> tuple[AnswerScorer, dict]:
    """The scorer fitted on every row, its threshold chosen out of fold, and what it was trained on."""
    bests = _out_of_fold(training)
    thresholds = []
    for dataset in training.datasets:
        answerable = [b for b, q in zip(bests, training.questions) if q.dataset == dataset and q.answerable]
        thresholds.append(float(np.quantile(answerable, REFUSAL_BUDGET)))
    threshold = min(thresholds)
    rows, labels, _, weights = training.arrays()
    scorer = replace(_fit(rows, labels, weights), threshold=threshold)
    record = {"split": "train", "refusal_budget": REFUSAL_BUDGET, "rows": int(len(rows)), "datasets": {}}
    for dataset in training.datasets:
        mine = [(b, q) for b, q in zip(bests, training.questions) if q.dataset == dataset]
        answerable = [b for b, q in mine if q.answerable]
        refusable = [b for b, q in mine if not q.answerable]
        record["datasets"][dataset] = {
            "questions": len(mine),
            "out_of_fold_refused_answerable": round(float(np.mean(np.array(answerable) < threshold)), 3),
            "out_of_fold_refused_unanswerable": round(float(np.mean(np.array(refusable) < threshold)), 3)
            if refusable else None,
        }
    return scorer, record
