"""The learned answer scorer, shipped as a small JSON file: gradient-boosted trees for units in the question's
language, a logistic regression for units in another language, both over `rag.features.FEATURES`.

One probability, "this unit holds the answer", drives both which unit is quoted and whether Sanad refuses (when
the most probable unit is under the threshold chosen at training). A unit in another language than the question
has its own threshold: with the same evidence its similarities are lower, and so is its probability.

Why two models: out of fold on the train parts, trees chose the answering unit more often and refused more
unanswerable questions than the linear model in the question's language (news-ar Arabic: choice 0.767 -> 0.816,
refusal 0.852 -> 0.920; ARCD: 0.777 -> 0.784, 0.675 -> 0.712), but across languages, where rows are fewer, they
refused far fewer (news-ar English 0.405 -> 0.256). bench/README.md has the figures.
`python -m rag train` writes the file.
JSON rather than a pickle: it loads with numpy alone, cannot run code, and reads in a diff.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import ConfigError
from rag.features import FEATURES

FORMAT = "sanad-answer-scorer/3"
_CROSSES = FEATURES.index("crosses_language")
SHIPPED = Path(__file__).with_name("answer_scorer.json")
_TREE_FIELDS = {
    "roots": np.int64, "feature": np.int64, "threshold": np.float64, "missing_left": bool, "left": np.int64,
    "right": np.int64, "value": np.float64,
}
# A list of numbers or booleans in the file's JSON: written on one line, not one line per value.
_FLAT_LIST = re.compile(r"\[([^\[\]{}\"]*)\]")


@dataclass(frozen=True)
class Trees:
    """Boosted regression trees, all trees' nodes in one set of arrays (a leaf's feature is -1); a row's logit is
    the baseline plus the value of the leaf it reaches in each tree."""

    baseline: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, model) -> Trees:
        """The trees of a fitted binary `HistGradientBoostingClassifier` (numerical features only). They are read
        from the library's private attributes (scikit-learn is pinned; a test holds the result to its own
        `predict_proba`)."""
        nodes = [predictor.nodes for (predictor,) in model._predictors]
        starts = np.cumsum([0] + [len(tree) for tree in nodes[:-1]])
        joined = np.concatenate(nodes)
        offsets = np.repeat(starts, [len(tree) for tree in nodes])
        leaf = joined["is_leaf"].astype(bool)
        return cls(
            float(model._baseline_prediction.ravel()[0]), starts.astype(np.int64),
            np.where(leaf, -1, joined["feature_idx"]).astype(np.int64), joined["num_threshold"].astype(np.float64),
            joined["missing_go_to_left"].astype(bool), np.where(leaf, -1, joined["left"] + offsets).astype(np.int64),
            np.where(leaf, -1, joined["right"] + offsets).astype(np.int64), joined["value"].astype(np.float64),
        )

    def logits(self, rows: np.ndarray) -> np.ndarray:
        """One logit per row: every (row, tree) walk a level a step, those still at an inner node only."""
        count, trees = len(rows), len(self.roots)
        values = np.ascontiguousarray(rows, dtype=np.float64).ravel()
        at = np.tile(self.roots, count)  # row by row, each row's node in every tree
        row_start = np.repeat(np.arange(count) * rows.shape[1], trees)
        walking = np.flatnonzero(self.feature[at] >= 0)
        while walking.size:
            nodes = at[walking]
            value = values[row_start[walking] + self.feature[nodes]]
            goes_left = np.where(np.isnan(value), self.missing_left[nodes], value <= self.threshold[nodes])
            at[walking] = nodes = np.where(goes_left, self.left[nodes], self.right[nodes])
            walking = walking[self.feature[nodes] >= 0]
        return self.baseline + self.value[at].reshape(count, trees).sum(axis=1)

    def to_json(self) -> dict:
        """The trees as the scorer file keeps them."""
        return {"baseline": self.baseline, **{name: getattr(self, name).tolist() for name in _TREE_FIELDS}}

    @classmethod
    def from_json(cls, saved: dict) -> Trees:
        """The trees in a scorer file's "trees"; ValueError unless they are whole trees over FEATURES."""
        arrays = (np.array(saved[name], dtype=kind) for name, kind in _TREE_FIELDS.items())
        trees = cls(float(saved["baseline"]), *arrays)
        nodes = len(trees.feature)
        if not len(trees.roots):
            raise ValueError("it has no trees")
        if not all(len(getattr(trees, name)) == nodes for name in list(_TREE_FIELDS)[1:]):
            raise ValueError("its trees' node arrays differ in length")
        inner, index = trees.feature >= 0, np.arange(nodes)
        # Children after their parent, so that every walk ends at a leaf.
        children_after = np.all([(child > index) & (child < nodes) for child in (trees.left, trees.right)], axis=0)
        if (
            np.any(trees.feature >= len(FEATURES)) or np.any((trees.roots < 0) | (trees.roots >= nodes))
            or np.any(inner & ~children_after)
            or not np.all(np.isfinite(trees.value)) or not np.isfinite(trees.baseline)
        ):
            raise ValueError("its trees are not well formed")
        return trees


@dataclass(frozen=True)
class AnswerScorer:
    """The probability that a unit holds the answer: trees for a unit in the question's language; standardise,
    weigh, squash for one in another language."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    trees: Trees
    thresholds: tuple[float, float]  # refuse under these: a unit in the question's language, one in another

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """One probability per feature row."""
        crossing = rows[:, _CROSSES] > 0.5
        logits = np.empty(len(rows))
        logits[crossing] = ((rows[crossing] - self.mean) / self.scale) @ self.weights + self.intercept
        logits[~crossing] = self.trees.logits(rows[~crossing])
        return 1.0 / (1.0 + np.exp(-logits))

    def threshold_for(self, row: np.ndarray) -> float:
        """The probability a unit with this feature row needs to be quoted rather than refused."""
        return self.thresholds[self.crosses(row)]

    @staticmethod
    def crosses(row: np.ndarray) -> bool:
        """Whether the unit of this feature row is in another language than the question."""
        return bool(row[_CROSSES] > 0.5)

    def to_json(self, trained_on: dict) -> dict:
        """The file's content, with a record of what it was trained on and how it fared."""
        return {
            "format": FORMAT, "features": list(FEATURES), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "weights": self.weights.tolist(), "intercept": self.intercept, "trees": self.trees.to_json(),
            "thresholds": {"same_language": self.thresholds[0], "crossing": self.thresholds[1]},
            "trained_on": trained_on,
        }

    def to_text(self, trained_on: dict) -> str:
        """The file's text: indented, but with each list of numbers on one line, so that the trees' thousands of
        nodes do not make it tens of thousands of lines long."""
        text = json.dumps(self.to_json(trained_on), indent=1)
        return _FLAT_LIST.sub(lambda found: "[" + " ".join(found[1].split()) + "]", text) + "\n"

    @classmethod
    def load(cls, path: Path) -> AnswerScorer:
        """The scorer in `path`; an unreadable, corrupt or outdated file is a one-line error naming it."""
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} file")
            if saved["features"] != list(FEATURES):
                raise ValueError("it was trained on other features; retrain it with `python -m rag train`")
            scorer = cls(
                np.array(saved["mean"], dtype=np.float64), np.array(saved["scale"], dtype=np.float64),
                np.array(saved["weights"], dtype=np.float64), float(saved["intercept"]),
                Trees.from_json(saved["trees"]),
                (float(saved["thresholds"]["same_language"]), float(saved["thresholds"]["crossing"])),
            )
            if not all(len(v) == len(FEATURES) for v in (scorer.mean, scorer.scale, scorer.weights)):
                raise ValueError("its vectors do not have one value per feature")
            if not np.all(np.isfinite(scorer.scale)) or np.any(scorer.scale == 0):
                raise ValueError("its scales must be finite and non-zero")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the answer scorer {path}: {error}") from None
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
            raise ConfigError(f"the answer scorer {path} is not usable: {error}") from None
        return scorer
