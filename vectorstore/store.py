"""The Chroma collection that holds the chunks: embedded on disk by default, or a Chroma server when configured."""

from __future__ import annotations

import threading
import time
import uuid
import warnings
from collections.abc import Iterable
from urllib.parse import urlparse

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction

from errors import StoreError
from records import Chunk, Filters, Passage, Sentence
from settings import Settings
from vectorstore.embedder import Embedder
from vectorstore.lexical import LexicalIndex

# Chroma looks up records by id lists; it and SQLite both limit how many one call may carry.
_ID_BATCH = 500
# How often a long-running process asks a Chroma server whether someone else has written (see LexicalIndex).
_REVISION_CHECK_SECONDS = 10.0


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


def where(filters: Filters | None) -> dict | None:
    """Filters as a Chroma `where`, so that they apply inside the search and k stays k."""
    conditions = [{name: {op: value}} for name, op, value in (filters.conditions() if filters else [])]
    if len(conditions) > 1:
        return {"$and": conditions}
    return conditions[0] if conditions else None


class ChunkStore:
    """Chunks with their vectors and metadata in one Chroma collection built by one embedding model, and
    their terms in a BM25 index kept in step with it."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.embedder = embedder
        self._client = _client(settings)
        self._name = settings.collection
        self._collection = self._open(settings.collection, embedder)
        # Sentences are embedded on their own: retrieval ranks chunks by their best sentence, answers quote one.
        self._sentences = self._open(f"{settings.collection}_sentences", embedder)
        self.lexical = LexicalIndex(settings.data_dir / "lexical" / settings.collection)
        self._checked_at = 0.0
        self._sync_lock = threading.Lock()
        self._sync_lexical()

    def _open(self, name: str, embedder: Embedder):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=DeprecationWarning, module="chromadb")
                collection = self._client.get_or_create_collection(
                    name,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"sanad_model": embedder.name, "sanad_dim": embedder.dim, "sanad_revision": "",
                              "sanad_backend": embedder.backend},
                    embedding_function=_ChromaEmbedding(embedder),
                )
        except ValueError as error:  # Chroma's errors for bad names and unreachable servers are ValueErrors
            raise StoreError(f"cannot open collection {name!r}: {error}") from error
        built_with = (collection.metadata or {}).get("sanad_model")
        built_dim = (collection.metadata or {}).get("sanad_dim")
        if (built_with, built_dim) != (embedder.name, embedder.dim):
            raise StoreError(
                f"collection {name!r} was built with model {built_with!r} ({built_dim} dimensions), "
                f"but this run uses {embedder.name!r} ({embedder.dim} dimensions). Use the same model, "
                "or another collection (SANAD_COLLECTION) or data directory (--db)."
            )
        backend = (collection.metadata or {}).get("sanad_backend", "torch")  # stores from before backends: torch
        if not embedder.reads_vectors_of(backend):
            raise StoreError(
                f"collection {name!r} was built by the {backend!r} embedding backend, whose vectors differ from "
                f"{embedder.backend!r}'s. Set SANAD_EMBED_BACKEND={backend}, or use another collection "
                "(SANAD_COLLECTION) or data directory (--db)."
            )
        return collection

    def _stored_revision(self) -> str:
        metadata = self._client.get_collection(self._name, embedding_function=None).metadata or {}
        return metadata.get("sanad_revision", "")

    def _sync_lexical(self) -> None:
        """Rebuild the BM25 index from Chroma when it is behind the collection's revision.

        In the web app, questions run in parallel threads: the index is rebuilt aside and swapped in whole, so a
        search in flight finishes on the old one."""
        with self._sync_lock:
            self._checked_at = time.monotonic()
            revision = self._stored_revision()
            if revision != self.lexical.revision:
                fresh = LexicalIndex(self.lexical.folder, load=False)
                fresh.replace_all(self._all_chunks(), revision)
                self.lexical = fresh

    def _all_chunks(self) -> list[Chunk]:
        chunks: list[Chunk] = []
        while True:
            batch = self._collection.get(include=["documents", "metadatas"], limit=_ID_BATCH, offset=len(chunks))
            if not batch["ids"]:
                return chunks
            chunks += [Chunk.from_store(*row) for row in zip(batch["ids"], batch["documents"], batch["metadatas"])]

    def commit(self) -> None:
        """Make the writes so far durable in the BM25 index and visible to other processes as a new revision."""
        revision = uuid.uuid4().hex
        metadata = dict(self._collection.metadata or {})
        metadata["sanad_revision"] = revision
        self._collection.modify(metadata=metadata)
        self.lexical.save(revision)

    def count(self) -> int:
        """How many chunks the store holds."""
        return self._collection.count()

    def sources(self) -> set[str]:
        """Every source that has a stored chunk."""
        return self.lexical.sources()

    def articles(self, offset: int, limit: int) -> tuple[int, list[Chunk]]:
        """How many articles are stored, and a page of them in store order, each as its first chunk (every
        chunk carries its article's metadata)."""
        first = {"index": 0}
        total = len(self._collection.get(where=first, include=[])["ids"])
        got = self._collection.get(where=first, include=["documents", "metadatas"], limit=limit, offset=offset)
        return total, [Chunk.from_store(*row) for row in zip(got["ids"], got["documents"], got["metadatas"])]

    def versions(self, article_ids: Iterable[str]) -> dict[str, tuple[str, set[str]]]:
        """For each stored article among `article_ids`: the fingerprint it was stored with and its chunk ids."""
        found: dict[str, tuple[str, set[str]]] = {}
        ids = list(dict.fromkeys(article_ids))
        for at in range(0, len(ids), _ID_BATCH):
            batch = ids[at : at + _ID_BATCH]
            got = self._collection.get(where={"article_id": {"$in": batch}}, include=["metadatas"])
            for chunk_id, meta in zip(got["ids"], got["metadatas"]):
                found.setdefault(meta["article_id"], (meta["fingerprint"], set()))[1].add(chunk_id)
        return found

    def write_article(
        self, chunks: list[Chunk], vectors: np.ndarray, sentence_vectors: np.ndarray, stale_ids: Iterable[str] = ()
    ) -> None:
        """Store an article's chunks in one call and its sentences (`chunk.sentences` in order) in another,
        then drop what its previous version had that this one has not."""
        stale_ids = set(stale_ids)
        sentences = [(s, c) for c in chunks for s in c.sentences]
        old_sentences = set(self._sentences.get(where={"article_id": chunks[0].article_id}, include=[])["ids"]) if stale_ids else set()
        self._collection.upsert(
            ids=[c.id for c in chunks], documents=[c.text for c in chunks],
            metadatas=[c.metadata() for c in chunks], embeddings=vectors,
        )
        self._sentences.upsert(
            ids=[s.id for s, _ in sentences], documents=[s.text for s, _ in sentences],
            metadatas=[c.metadata() | {"chunk_id": c.id, "start": s.start, "end": s.end} for s, c in sentences],
            embeddings=sentence_vectors,
        )
        gone = sorted(stale_ids - {c.id for c in chunks})
        if gone:
            self._collection.delete(ids=gone)
        if gone_sentences := sorted(old_sentences - {s.id for s, _ in sentences}):
            self._sentences.delete(ids=gone_sentences)
        self.lexical.update(chunks)
        self.lexical.remove(gone)

    def delete_article(self, article_id: str) -> int:
        """Remove every chunk of an article; returns how many there were."""
        stored = self.versions([article_id]).get(article_id)
        if stored:
            self._collection.delete(ids=sorted(stored[1]))
            self._sentences.delete(where={"article_id": article_id})
            self.lexical.remove(stored[1])
        return len(stored[1]) if stored else 0

    def passages(self, chunk_ids: list[str], vector: np.ndarray) -> list[Passage]:
        """The stored chunks with these ids, in the order asked, scored by cosine similarity to `vector`."""
        if not chunk_ids:
            return []
        got = self._collection.get(ids=chunk_ids, include=["documents", "metadatas", "embeddings"])
        found = {
            i: Passage(Chunk.from_store(i, text, meta), float(np.dot(stored, vector)))
            for i, text, meta, stored in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        }
        return [found[i] for i in chunk_ids if i in found]

    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[Passage]:
        """The k chunks nearest to `vector`, best first, among those that pass `filters`."""
        return self.passages([chunk_id for chunk_id, _ in self.nearest(vector, k, filters)], vector)

    def nearest(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, similarity) of the k chunks nearest to `vector`: ids only, which is all fusion needs."""
        got = self._collection.query(query_embeddings=[vector], n_results=k, where=where(filters), include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]

    def sentence_search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k chunks whose best sentence is nearest to `vector`, as (chunk id, that sentence's similarity)."""
        # Chunks have several sentences; asking for a few per wanted chunk leaves k distinct ones in practice.
        # Only distances are fetched: a sentence id names its chunk, and metadata would cost more than the search.
        got = self._sentences.query(query_embeddings=[vector], n_results=4 * k, where=where(filters), include=["distances"])
        best: dict[str, float] = {}
        for sentence_id, distance in zip(got["ids"][0], got["distances"][0]):
            best.setdefault(Sentence.chunk_of(sentence_id), 1.0 - float(distance))
        return list(best.items())[:k]

    def sentences(self, chunk_ids: list[str], vector: np.ndarray) -> list[tuple[Sentence, float]]:
        """The stored sentences of these chunks with their similarity to `vector`, in chunk order, then text order."""
        if not chunk_ids:
            return []
        got = self._sentences.get(where={"chunk_id": {"$in": chunk_ids}}, include=["documents", "metadatas", "embeddings"])
        found = [
            (Sentence(i, meta["chunk_id"], meta["title"], text, meta["start"], meta["end"]), float(np.dot(stored, vector)))
            for i, text, meta, stored in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        ]
        order = {chunk_id: n for n, chunk_id in enumerate(chunk_ids)}
        return sorted(found, key=lambda pair: (order[pair[0].chunk_id], pair[0].start))

    def lexical_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score) pairs for `query`, after catching up with other writers if due."""
        if time.monotonic() - self._checked_at > _REVISION_CHECK_SECONDS:
            self._sync_lexical()
        return self.lexical.search(query, k, filters)
