"""Extractive answers: the unit (sentence or clause window) of the top passages that answers, quoted with its
source and [n], or a refusal.

Each unit gets one calibrated probability of holding the answer from the learned scorer (rag/scorer.py, over
rag/features.py); the most probable one is quoted, and when it is under the scorer's threshold Sanad refuses.
"""

from __future__ import annotations

import numpy as np

from analysis import NAME_KEY_PREFIX, guess_language, sentence_spans, statement_start
from rag.features import Candidate, FeatureMaker, question_type, speaker
from rag.scorer import AnswerScorer
from records import Answer, Citation, Passage
from vectorstore.store import ChunkStore


# The longest quote of a statement that is carried on to its sentence's end: on the train part of news-ar, 350 and
# 400 characters answered the same questions (answer-hit 0.660 -> 0.684, median answer 271 -> 280 characters).
STATEMENT_REACH = 400


class ExtractiveAnswerer:
    """Quotes the unit of the top passages most likely to hold the answer, or refuses when none is likely."""

    def __init__(self, store: ChunkStore, scorer: AnswerScorer):
        self.features = FeatureMaker(store)
        self.scorer = scorer

    def answer(self, question: str, vector: np.ndarray, passages: list[Passage], rerank: bool = True) -> Answer:
        """An answer that quotes its evidence with [n], or a refusal that still lists the closest passages.

        With `rerank`, the passages read are put in the order of their most probable unit: the scorer, which
        sees names, rare terms and reported speech, re-ranks what fusion found. A follow-up's passages were found
        with the subject it borrows, which the follow-up alone cannot judge: they keep their order."""
        language, said = guess_language(question), question_type(question) == "said"
        candidates = self.features.candidates(question, vector, passages)
        if not candidates:
            return Answer(question, in_language(_ABSTAIN, language), True, passages)
        probabilities = self.scorer.probabilities(np.array([c.features for c in candidates]))
        if said:
            probabilities[~self._speaker_named(question, candidates, passages)] = 0.0
        if rerank:
            passages, numbers = _reranked(passages, candidates, probabilities)
        else:
            numbers = {n: n for n in range(1, len(passages) + 1)}
        best = int(probabilities.argmax())
        confidence = float(probabilities[best])
        if confidence < self.scorer.threshold_for(candidates[best].features):
            return Answer(question, in_language(_ABSTAIN, language), True, passages, confidence=confidence)
        chosen = candidates[best]
        n = numbers[chosen.n]
        passage = passages[n - 1]
        start, end = chosen.sentence.start, chosen.sentence.end
        if said:
            # Quote a statement with its speaker: a unit that begins where the attribution's statement begins
            # («… إن» / a quote) takes the attribution too.
            start = passage.chunk.start + statement_start(passage.chunk.text, start - passage.chunk.start)
            end = statement_end(passage, start, end)
        quoted = passage_text(passage, start, end)
        citation = Citation(n, passage.chunk.id, passage.chunk.article_id, start, end, quoted)
        text = attribution(passage, language) + f"{citation.text} [{citation.n}]"
        return Answer(question, text, False, passages, [citation], confidence)

    def _speaker_named(self, question: str, candidates: list[Candidate], passages: list[Passage]) -> np.ndarray:
        """Whether each candidate's article names whom a "said" question asks about.

        A statement in an article that never names its speaker is someone else's: "What did Boris Johnson say
        about the attack?" must not be answered from a report of the attack that quotes the police. Named means the
        article holds the speaker's rarest word (a word no chunk holds is held by none). Across scripts only the
        keys of names and aliases match, so there it means one of the speaker's keys that some chunk holds; a key no
        chunk holds may be a spelling the keys miss, and is no evidence either way."""
        named = np.ones(len(candidates), dtype=bool)
        lexical = self.features.store.lexical
        asked = lexical.question_terms(speaker(question))
        if not asked:
            return named
        counts = lexical.document_frequencies(asked)
        rarest = min(counts, key=counts.get)
        keys = [term for term, n in counts.items() if term.startswith(NAME_KEY_PREFIX) and n > 0]
        articles = {c.n: passages[c.n - 1].chunk.article_id for c in candidates}
        holding = lexical.articles_holding([rarest, *keys], list(set(articles.values())))
        holding_a_key = set().union(*(holding[key] for key in keys))
        for at, candidate in enumerate(candidates):
            if not AnswerScorer.crosses(candidate.features):
                named[at] = articles[candidate.n] in holding[rarest]
            else:
                named[at] = not keys or articles[candidate.n] in holding_a_key
        return named


def _reranked(
    passages: list[Passage], candidates: list[Candidate], probabilities: np.ndarray
) -> tuple[list[Passage], dict[int, int]]:
    """The passages read, ordered by their best unit's probability (the rest as they were), and each old passage
    number's new one."""
    best: dict[int, float] = {}
    for candidate, probability in zip(candidates, probabilities):
        best[candidate.n] = max(best.get(candidate.n, 0.0), float(probability))
    read = sorted(best, key=lambda n: (-best[n], n))
    order = read + [n for n in range(1, len(passages) + 1) if n not in best]
    return [passages[n - 1] for n in order], {old: new for new, old in enumerate(order, start=1)}


def statement_end(passage: Passage, start: int, end: int) -> int:
    """Where a quoted statement that starts at `start` and whose chosen unit ends at `end` (article offsets) should
    end: its sentence's end when the whole quote stays within STATEMENT_REACH characters, since what was said
    often runs on past the clause that was chosen («طالبوا بـ…، و…، و…»), else `end`."""
    text, offset = passage.chunk.text, passage.chunk.start
    sentence_end = next((b for a, b in sentence_spans(text) if a < end - offset <= b), end - offset)
    return offset + sentence_end if offset + sentence_end - start <= STATEMENT_REACH else end


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
