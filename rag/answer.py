"""Extractive answers: the sentence (or clause) of the top passages that answers, quoted with its source and [n].

Sentences are scored by their embedding similarity to the question (vectors stored at ingest), by how many of
the question's words they share after Arabic normalisation, and by their fit to the question's type ("when"
wants a date, "how many" a number, "what did X say" reported speech). Below a calibrated score, Sanad abstains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from analysis import guess_language, languages_differ, normalize, split_spans, terms
from records import Answer, Citation, Passage, Sentence
from settings import Settings
from vectorstore.store import ChunkStore

# Only the best few passages are read for the answer: lower ones rarely hold it.
_PASSAGES_READ = 3

_QUESTION_TYPES = {
    "said": re.compile(r"(ماذا|ما الذي|ما)\s+(قال|قالت|صرح|صرحت|اكد|اكدت|اعلن|اعلنت|ذكر|ذكرت)|\b(say|said|tell|told|state|claim)\w*", re.I),
    "when": re.compile(r"\bمتي\b|في (اي|اى) (عام|سنه|تاريخ|يوم|شهر|قرن)|\bwhen\b|what (year|date)|which year", re.I),
    "count": re.compile(r"\bكم\b|how (many|much|long|old)|\bnumber of\b", re.I),
}
_MONTHS = (
    "يناير|فبراير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر|كانون|شباط|اذار|نيسان|ايار|حزيران|"
    "تموز|اب|ايلول|تشرين|january|february|march|april|may|june|july|august|september|october|november|december"
)
_FITS = {
    "said": re.compile(r"\b(قال|قالت|اكد|اكدت|صرح|صرحت|اعلن|اعلنت|اشار|اشارت|اضاف|اضافت|بحسب|وفقا|said|told|according|added|stated)\b"),
    "when": re.compile(rf"\b\d{{3,4}}\b|\b({_MONTHS})\b|\b(عام|سنه|القرن|century)\b"),
    "count": re.compile(r"\d|\b(الف|مليون|مليار|مئه|ماءه|عشر\w*|thousand|million|billion|hundred)\b"),
}
# Long sentences are cut to the clause that answers; below this length the whole sentence reads better.
# 300 keeps ARCD's median answer near 250 characters; trimming shorter sentences cut answers off (eval).
_TRIM_ABOVE_CHARS = 300
_CLAUSE = re.compile(r"[،؛;,]+(?=\s)")


@dataclass(frozen=True)
class _Candidate:
    sentence: Sentence
    n: int
    score: float


def question_type(question: str) -> str | None:
    """'said', 'when' or 'count' when the question asks for one of those, else None."""
    normalized = normalize(question)
    return next((kind for kind, pattern in _QUESTION_TYPES.items() if pattern.search(normalized)), None)


def _fits(kind: str | None, text: str) -> bool:
    """Whether a text has what a question of this type asks for (a date, a number, reported speech)."""
    return bool(kind and _FITS[kind].search(normalize(text)))


class ExtractiveAnswerer:
    """Quotes the best sentence of the top passages, or abstains when none is close enough."""

    def __init__(self, store: ChunkStore, settings: Settings):
        self.store = store
        self.settings = settings

    def score(self, question: str, vector: np.ndarray, passages: list[Passage]) -> list[_Candidate]:
        """Every sentence of the top passages, best first."""
        read = [p.chunk.id for p in passages[:_PASSAGES_READ]]
        language = guess_language(question)
        crosses = {p.chunk.id: languages_differ(p.chunk.lang, language) for p in passages[:_PASSAGES_READ]}
        wanted = set(terms(question))
        kind = question_type(question)
        candidates = []
        settings = self.settings
        for sentence, similarity in self.store.sentences(read, vector):
            shared = len(wanted & set(terms(sentence.text))) / len(wanted) if wanted else 0.0
            score = (similarity + settings.cross_language_offset * crosses[sentence.chunk_id]
                     + settings.answer_overlap_weight * shared + settings.answer_type_weight * _fits(kind, sentence.text))
            candidates.append(_Candidate(sentence, read.index(sentence.chunk_id) + 1, score))
        return sorted(candidates, key=lambda c: c.score, reverse=True)

    def answer(self, question: str, vector: np.ndarray, passages: list[Passage]) -> Answer:
        """An answer that quotes its evidence with [n], or an abstention that still lists the closest passages."""
        candidates = self.score(question, vector, passages)
        language = guess_language(question)
        if not candidates or candidates[0].score < self._threshold(language, passages[candidates[0].n - 1]):
            return Answer(question, in_language(_ABSTAIN, language), True, passages,
                          confidence=candidates[0].score if candidates else 0.0)
        chosen = self._choose(candidates)
        citations = []
        for candidate in chosen:
            start, end = self._trim(question, candidate.sentence)
            passage = passages[candidate.n - 1]
            citations.append(
                Citation(candidate.n, passage.chunk.id, passage.chunk.article_id, start, end, passage_text(passage, start, end))
            )
        quotes = " ".join(f"{c.text} [{c.n}]" for c in citations)
        return Answer(question, attribution(passages[chosen[0].n - 1], language) + quotes, False, passages,
                      citations, chosen[0].score)

    def _choose(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """The best sentence, and the next distinct one when it scores nearly as well; in reading order."""
        best = candidates[0]
        seen = normalize(best.sentence.text)
        runner_up = next((c for c in candidates[1:] if normalize(c.sentence.text) != seen), None)
        if runner_up is None or best.score - runner_up.score > self.settings.second_sentence_gap:
            return [best]
        return sorted([best, runner_up], key=lambda c: (c.n, c.sentence.start))

    def _threshold(self, language: str, passage: Passage) -> float:
        # Across languages no words are shared, so even with the similarity offset the bar is calibrated apart.
        if languages_differ(passage.chunk.lang, language):
            return self.settings.abstain_below_cross_language
        return self.settings.abstain_below

    def _trim(self, question: str, sentence: Sentence) -> tuple[int, int]:
        """Article offsets of the clause (or two) that shares most with the question, for long sentences."""
        if len(sentence.text) <= _TRIM_ABOVE_CHARS:
            return sentence.start, sentence.end
        clauses = split_spans(sentence.text, 0, len(sentence.text), _CLAUSE)
        if len(clauses) < 2:
            return sentence.start, sentence.end
        wanted = set(terms(question))
        kind = question_type(question)

        def worth(a: int, b: int) -> float:
            text = sentence.text[clauses[a][0] : clauses[b][1]]
            return len(wanted & set(terms(text))) + 2 * _fits(kind, text)

        windows = [(a, min(a + 1, len(clauses) - 1)) for a in range(len(clauses))]
        a, b = max(windows, key=lambda w: worth(*w))
        return sentence.start + clauses[a][0], sentence.start + clauses[b][1]


def passage_text(passage: Passage, start: int, end: int) -> str:
    """The article's text between two article offsets, read from the passage that holds them."""
    return passage.chunk.text[start - passage.chunk.start : end - passage.chunk.start]


def in_language(messages: dict[str, str], language: str) -> str:
    """The message in the question's language, English when Sanad has none in it."""
    return messages.get(language, messages["en"])


_ABSTAIN = {
    "ar": "لا تجيب المقالات المتوفرة عن هذا السؤال بوضوح. هذه أقرب المقاطع إليه، ولا يحتوي أيٌّ منها على الإجابة.",
    "en": "The articles do not clearly answer this question. These are the closest passages; none of them holds the answer.",
}


def attribution(passage: Passage, language: str) -> str:
    """«According to "title" (outlet, author, date): » in the question's language; our words, not the source's.
    An article without a title is named by its outlet: «According to Harbour Times (author, date): »."""
    chunk = passage.chunk
    outlet = chunk.outlet if chunk.title else ""
    byline = [part for part in (outlet, chunk.author, chunk.published) if part]
    if language == "ar":
        name = f"«{chunk.title}»" if chunk.title else chunk.outlet or "المقال"
        return f"بحسب {name}" + (f" ({'، '.join(byline)})" if byline else "") + ": "
    name = f'"{chunk.title}"' if chunk.title else chunk.outlet or "the article"
    return f"According to {name}" + (f" ({', '.join(byline)})" if byline else "") + ": "
