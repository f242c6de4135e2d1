"""The Chroma collection that holds the chunks: embedded on disk by default, or a Chroma server when configured."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from urllib.parse import urlparse

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction

from errors import StoreError
from records import Chunk, Passage
from settings import Settings
from vectorstore.embedder import Embedder

# Chroma looks up records by id lists; it and SQLite both limit how many one call may carry.
_ID_BATCH = 500


class _ChromaEmbedding(EmbeddingFunction[Documents]):
    """Chroma's embedding-function protocol over our model, so Chroma never falls back to its downloading default.

    It stays a "legacy" function (no get_config) on purpose: with a config Chroma would rebuild, so reload,
    the model on its own. The model that built a collection is checked through its metadata instead.
    """

    def __init__(self, embedder: Embedder):
        self._embedder = embedder

    @staticmethod
    def name() -> str:
        return "sanad"

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        return list(self._embedder.embed_passages(list(input)))

    def embed_query(self, input: list[str]) -> list[np.ndarray]:
        return list(self._embedder.embed_queries(list(input)))


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"SANAD_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}")
    try:
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    except Exception as error:
        raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {error}") from error


class ChunkStore:
    """Chunks with their vectors and metadata; one collection, built by one embedding model."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.embedder = embedder
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="chromadb")
            self._collection = _client(settings).get_or_create_collection(
                settings.collection,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"sanad_model": embedder.name, "sanad_dim": embedder.dim},
                embedding_function=_ChromaEmbedding(embedder),
            )
        built_with = (self._collection.metadata or {}).get("sanad_model")
        built_dim = (self._collection.metadata or {}).get("sanad_dim")
        if (built_with, built_dim) != (embedder.name, embedder.dim):
            raise StoreError(
                f"collection {settings.collection!r} was built with model {built_with!r} ({built_dim} dimensions), "
                f"but this run uses {embedder.name!r} ({embedder.dim} dimensions). Use the same model, "
                "or another collection (SANAD_COLLECTION) or data directory (--db)."
            )

    def count(self) -> int:
        """How many chunks the store holds."""
        return self._collection.count()

    def versions(self, article_ids: Iterable[str]) -> dict[str, tuple[str, set[str]]]:
        """For each stored article among `article_ids`: the fingerprint it was stored with and its chunk ids."""
        found: dict[str, tuple[str, set[str]]] = {}
        ids = list(dict.fromkeys(article_ids))
        for at in range(0, len(ids), _ID_BATCH):
            batch = ids[at : at + _ID_BATCH]
            got = self._collection.get(where={"article_id": {"$in": batch}}, include=["metadatas"])
            for chunk_id, meta in zip(got["ids"], got["metadatas"]):
                fingerprint, chunk_ids = found.setdefault(meta["article_id"], (meta["fingerprint"], set()))
                chunk_ids.add(chunk_id)
        return found

    def write_article(self, chunks: list[Chunk], vectors: np.ndarray, stale_ids: Iterable[str] = ()) -> None:
        """Store an article's chunks in one call, then drop chunks of its previous version that are gone."""
        self._collection.upsert(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[c.metadata() for c in chunks],
            embeddings=vectors,
        )
        gone = sorted(set(stale_ids) - {c.id for c in chunks})
        if gone:
            self._collection.delete(ids=gone)

    def delete_article(self, article_id: str) -> int:
        """Remove every chunk of an article; returns how many there were."""
        stored = self.versions([article_id]).get(article_id)
        if stored:
            self._collection.delete(ids=sorted(stored[1]))
        return len(stored[1]) if stored else 0

    def search(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[Passage]:
        """The k chunks nearest to `vector`, best first, restricted by a Chroma `where` filter."""
        got = self._collection.query(
            query_embeddings=[vector], n_results=k, where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            Passage(Chunk.from_store(chunk_id, text, meta), 1.0 - float(distance))
            for chunk_id, text, meta, distance in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]
            )
        ]
