"""Sanad's retrieval as a LangChain retriever, so a LangChain user can put Sanad's search into their own chain:

    from rag.langchain_retriever import SanadRetriever
    retriever = SanadRetriever.open(load_settings(), k=5)
    documents = retriever.invoke("What did Peskov say about the mission?")
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from rag.retrieve import Retriever
from records import Filters, Passage
from settings import Settings


class SanadRetriever(BaseRetriever):
    """Hybrid retrieval (sentences and clause windows, chunks, BM25 with names and aliases) over a Sanad store;
    each Document is a passage, its metadata says where it comes from and where it sits in its article."""

    retriever: Retriever
    k: int = 5
    filters: Filters | None = None

    @classmethod
    def open(cls, settings: Settings, k: int = 5, filters: Filters | None = None) -> SanadRetriever:
        """A retriever over the store the settings name, loading the embedding model once."""
        from vectorstore.embedder import Embedder
        from vectorstore.store import ChunkStore

        return cls(retriever=Retriever(ChunkStore(settings, Embedder(settings)), settings), k=k, filters=filters)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [as_document(p) for p in self.retriever.retrieve(query, self.k, self.filters)]


def as_document(passage: Passage) -> Document:
    """A passage as a LangChain Document: its text, and its source, title, author, date, link, offsets and score."""
    chunk = passage.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.id,
        metadata={
            "source": chunk.source, "title": chunk.title, "author": chunk.author, "published": chunk.published,
            "url": chunk.url, "start": chunk.start, "end": chunk.end, "score": passage.score,
            "article_id": chunk.article_id, "chunk_id": chunk.id,
        },
    )
