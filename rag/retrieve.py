"""Retrieval: dense (the embedding model in Chroma), lexical (BM25 over Arabic-aware terms), and their fusion."""

from __future__ import annotations

import numpy as np

from records import Filters, Passage
from settings import Settings
from vectorstore.store import ChunkStore

# Reciprocal rank fusion's damping constant; 60 is the value of Cormack et al. (2009), and eval on ARCD
# moved little between 20 and 100.
_RRF_K = 60


class Retriever:
    """Finds the passages that best match a question, by the method the settings name."""

    def __init__(self, store: ChunkStore, settings: Settings):
        self.store = store
        self.mode = settings.retrieval
        self.candidates = settings.fusion_candidates
        self.lexical_weight = settings.lexical_weight

    def retrieve(self, question: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The k best passages for `question` among those that pass `filters`, best first.

        A passage's score is its cosine similarity to the question, whichever method found it, so that
        later steps can judge how close the evidence is.
        """
        vector = self.store.embedder.embed_queries([question])[0]
        if self.mode == "dense":
            return self.store.search(vector, k, filters)
        depth = max(k, self.candidates)
        lexical = self.store.lexical_search(question, depth, filters)
        if self.mode == "lexical":
            return self._passages([chunk_id for chunk_id, _ in lexical[:k]], vector, {})
        dense = self.store.search(vector, depth, filters)
        fused: dict[str, float] = {}
        for rank, passage in enumerate(dense):
            fused[passage.chunk.id] = 1.0 / (_RRF_K + rank + 1)
        for rank, (chunk_id, _) in enumerate(lexical):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + self.lexical_weight / (_RRF_K + rank + 1)
        best = sorted(fused, key=fused.get, reverse=True)[:k]
        return self._passages(best, vector, {p.chunk.id: p for p in dense})

    def _passages(self, chunk_ids: list[str], vector: np.ndarray, known: dict[str, Passage]) -> list[Passage]:
        found = known | {p.chunk.id: p for p in self.store.passages([i for i in chunk_ids if i not in known], vector)}
        return [found[i] for i in chunk_ids if i in found]
