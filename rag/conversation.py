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
    """One question of a conversation, the text Sanad answered, and the title of the article it first cited.

    Only text travels: a web client sends its conversation back with each question, not whole answers."""

    question: str
    answer: str
    source_title: str = ""

    @classmethod
    def of(cls, question: str, answer: Answer) -> Turn:
        """The turn an answer makes."""
        cited = answer.passages[answer.citations[0].n - 1].chunk.title if answer.citations else ""
        return cls(question, answer.text, cited)


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the one before: it points back, or is too short to stand alone."""
    normalized = normalize(question)
    return bool(_POINTS_BACK.search(normalized)) or len(normalized.split()) <= _SHORT_WORDS


def retrieval_query(question: str, history: list[Turn]) -> str:
    """The question, plus the previous question and the title it was answered from when it is a follow-up."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1]
    return " ".join(part for part in (question, previous.question, previous.source_title) if part)
