"""The learned answer scorer: a logistic regression over `rag.features.FEATURES`, shipped as a small JSON file.

One probability, "this unit holds the answer", drives both which unit is quoted and whether Sanad refuses (when
the most probable unit is under the threshold chosen at training). A unit in another language than the question
has its own threshold: with the same evidence its similarities are lower, and so is its probability.
`python -m rag train` writes the file.
JSON rather than a pickle: it loads with numpy alone, cannot run code, and reads in a diff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import ConfigError
from rag.features import FEATURES

FORMAT = "sanad-answer-scorer/2"
_CROSSES = FEATURES.index("crosses_language")
SHIPPED = Path(__file__).with_name("answer_scorer.json")


@dataclass(frozen=True)
class AnswerScorer:
    """Standardise, weigh, squash: the probability that a unit holds the answer."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    thresholds: tuple[float, float]  # refuse under these: a unit in the question's language, one in another

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """One probability per feature row."""
        logits = ((rows - self.mean) / self.scale) @ self.weights + self.intercept
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
            "weights": self.weights.tolist(), "intercept": self.intercept,
            "thresholds": {"same_language": self.thresholds[0], "crossing": self.thresholds[1]},
            "trained_on": trained_on,
        }

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
                (float(saved["thresholds"]["same_language"]), float(saved["thresholds"]["crossing"])),
            )
            if not all(len(v) == len(FEATURES) for v in (scorer.mean, scorer.scale, scorer.weights)):
                raise ValueError("its vectors do not have one value per feature")
            if not np.all(np.isfinite(scorer.scale)) or np.any(scorer.scale == 0):
                raise ValueError("its scales must be finite and non-zero")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the answer scorer {path}: {error}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ConfigError(f"the answer scorer {path} is not usable: {error}") from None
        return scorer
