"""Answers: the stored sentence of the top passages that best matches the question, quoted with its [n]."""

from __future__ import annotations

import numpy as np

from records import Answer, Passage
from vectorstore.store import ChunkStore

# Only the best few passages are read for the answer sentence: lower ones rarely hold it.
_PASSAGES_READ = 3


class ExtractiveAnswerer:
    """Quotes the best-matching sentence from the top passages; says so plainly when there is nothing to quote."""

    def __init__(self, store: ChunkStore):
        self.store = store

    def answer(self, question: str, vector: np.ndarray, passages: list[Passage]) -> Answer:
        """An answer whose sentence carries the [n] of the passage it comes from."""
        read = [p.chunk.id for p in passages[:_PASSAGES_READ]]
        candidates = self.store.sentences(read, vector)
        if not candidates:
            return Answer(question, "No passage in the store matches this question.", abstained=True)
        sentence, _ = max(candidates, key=lambda pair: pair[1])
        n = read.index(sentence.chunk_id) + 1
        return Answer(question, f"{sentence.text} [{n}]", abstained=False, passages=passages)
