"""Retrieval: the passages of the store that best match a question."""

from __future__ import annotations

from records import Passage
from vectorstore.store import ChunkStore


class Retriever:
    """Dense retrieval over the chunk store."""

    def __init__(self, store: ChunkStore):
        self.store = store

    def retrieve(self, question: str, k: int) -> list[Passage]:
        """The k best passages for `question`, best first."""
        vector = self.store.embedder.embed_queries([question])[0]
        return self.store.search(vector, k)
