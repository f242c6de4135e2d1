"""Answers: the sentence of the top passages that best matches the question, quoted with its [n]."""

from __future__ import annotations

import numpy as np

from ingest.chunker import _SENTENCE_END, _split
from records import Answer, Passage
from vectorstore.embedder import Embedder

# Only the best few passages are read for the answer sentence: lower ones rarely hold it and cost time.
_PASSAGES_READ = 3


def _sentences(passage: Passage) -> list[str]:
    text = passage.chunk.text
    return [text[s:e] for s, e in _split(text, 0, len(text), _SENTENCE_END)]


class ExtractiveAnswerer:
    """Quotes the best-matching sentence from the top passages; says so plainly when there is nothing to quote."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        """An answer whose sentence carries the [n] of the passage it comes from."""
        if not passages:
            return Answer(question, "No passage in the store matches this question.", abstained=True)
        candidates = [
            (n, sentence)
            for n, passage in enumerate(passages[:_PASSAGES_READ], start=1)
            for sentence in _sentences(passage)
        ]
        query = self.embedder.embed_queries([question])[0]
        scores = self.embedder.embed_passages([s for _, s in candidates]) @ query
        n, sentence = candidates[int(np.argmax(scores))]
        return Answer(question, f"{sentence} [{n}]", abstained=False, passages=passages)
