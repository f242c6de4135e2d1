"""Follow-up questions: "ومتى حدث ذلك؟" or "and what did he say about Russia?" borrow the previous turn's subject."""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis import normalize
from records import Answer

# Words that point back at something said before, in Arabic (with attached pronouns) and English.
_POINTS_BACK = re.compile(
    r"\b(ذلك|تلك|هذا|هذه|ذاك|هو|هي|هم|هما|حينها|عندها|بعدها|قبلها|عنه|عنها|عنهم|له|لها|لهم|منه|منها|فيه|فيها)\b"
    r"|\b(he|she|it|they|him|her|them|his|its|their|that|this|those|these|there|then)\b"
    r"|^(و|ثم|and|what about|how about)\b",
    re.I,
)
# A question this short rarely names its subject on its own.
_SHORT_WORDS = 3


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and what Sanad answered."""

    question: str
    answer: Answer


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the one before: it points back, or is too short to stand alone."""
    normalized = normalize(question)
    return bool(_POINTS_BACK.search(normalized)) or len(normalized.split()) <= _SHORT_WORDS


def retrieval_query(question: str, history: list[Turn]) -> str:
    """The question, plus the previous question and the title it was answered from when it is a follow-up."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1]
    context = [previous.question]
    if previous.answer.citations:
        cited = previous.answer.passages[previous.answer.citations[0].n - 1]
        context.append(cited.chunk.title)
    return " ".join([question, *context])
