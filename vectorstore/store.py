"""The chunk store: chunk vectors and metadata in Chroma (embedded on disk by default, or a Chroma server); the
ledger of complete articles, their terms and their units' vectors in one SQLite file (vectorstore/lexical.py); the
BM25 index of their terms in Tantivy, derived from the ledger (vectorstore/bm25.py).

Writing articles (`write_articles`: one ingest batch at once, so Chroma gets few large calls), under the
store's writer lock (one writer at a time across processes):
  1. Finish what a killed writer left: every article still marked pending loses its Chroma records.
  2. SQLite, one transaction: the articles leave the ledger and the index and are marked pending.
     From here readers do not see them (they only take chunks whose article is in the ledger).
  3. Chroma: delete every chunk record of their older versions, if they had one (a crash's leftovers were
     pending, so step 1 removed them).
  4. Chroma: add their chunks, in calls of at most Chroma's largest batch.
  5. SQLite, one transaction: their chunks' terms, fields and unit vectors, their ledger rows; they are no
     longer pending.
  6. Tantivy: the chunk rows steps 2 and 5 logged are replayed into the BM25 index, then the log is cleared.
A `kill -9` anywhere leaves each article either whole (after 5) or out of the ledger, hence unseen, with its
leftovers named in `pending`; re-ingesting it (it is not in the ledger, so it is not "unchanged") or any later
write cleans them. Deleting runs 1-3, clears the pending mark, then runs 6: the ledger goes first. A log that a
kill left is replayed by the next write or opening (step 1); until then BM25 leaves its rows out.

A live store: every SQLite commit bumps a revision. An embedded Chroma client never sees what another process
added to the HNSW index after it loaded it (chromadb 1.5 keeps the index in memory; only its SQLite metadata is
shared), so before each use an embedded store compares the revision with the one it opened at and, when
another process has written, opens Chroma afresh (about 0.1 s at small sizes) while questions in flight finish on
the old client. A Chroma server is always current; the ledger in SQLite is read afresh by every query.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from urllib.parse import urlparse

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.errors import InternalError

from analysis import TERMS_VERSION
from errors import StoreError
from records import Chunk, Filters, Passage, Sentence
from settings import Settings
from vectorstore.bm25 import BM25Index
from vectorstore.embedder import Embedder
from vectorstore.lexical import LexicalIndex
from vectorstore.locks import WriterLock

# Chroma looks up records by id lists; it and SQLite both limit how many one call may carry.
_ID_BATCH = 500
# Attempts at a query that meets another process's write half-way in the embedded HNSW index (see _query).
_QUERY_ATTEMPTS = 3
# A filtered search names its records to Chroma when the filter leaves at most this many chunks; with a broader
# filter it asks for this many times the results and filters them. Measured on a 10k-chunk store
# (bench/README.md): a query by 440 chunk ids took 4 ms, Chroma's own date filter 210 ms.
_SEARCH_WITHIN = 2_000
_BROAD_FILTER_ASKS = 8
# Chunks whose unit vectors are looked for at once when a store from before they were kept in SQLite is opened.
_UNITS_BATCH = 200
# Logged chunk rows replayed into the BM25 index in one Tantivy commit (a new index is filled this way).
_REPLAY_BATCH = 20_000


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
    """A Chroma client, and for the embedded store the System this client alone owns (None for a server)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        # Chroma shares one System per folder within a process, and that System's HNSW index never learns of
        # other processes' writes. Taking ours out of Chroma's cache lets a reopen load the folder afresh, and
        # lets us stop the old System without breaking another store open on the same folder.
        system = client._system
        SharedSystemClient._identifier_to_system.pop(client._identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(client._identifier, None)
        return client, system
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"SANAD_CHROMA_URL must look like http://host:port, not {settings.chroma_url!r}")
    try:
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80),
            ssl=url.scheme == "https", settings=chroma_settings,
        ), None
    except Exception as error:
        raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {error}") from error


def _collection(client, name: str, embedder: Embedder):
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="chromadb")
            collection = client.get_or_create_collection(
                name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"sanad_model": embedder.name, "sanad_dim": embedder.dim, "sanad_backend": embedder.backend},
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


class _Chroma:
    """One opening of Chroma: the client, the chunks' collection, and how many calls are using them."""

    def __init__(self, settings: Settings, embedder: Embedder):
        # An embedded Chroma sets up a new folder's tables and collections without a lock of its own: two processes
        # opening a new store at once failed ("table collections already exists"). Opening is short and takes a
        # lock of its own, so it never waits for a write.
        embedded = not settings.chroma_url
        with WriterLock(settings.data_dir / "chroma-open.lock").held() if embedded else nullcontext():
            self.client, self._system = _client(settings)
            self.chunks = _collection(self.client, settings.collection, embedder)
        self.users = 0
        self.retired = False

    def close(self) -> None:
        if self._system is not None:
            self._system.stop()


class ChunkStore:
    """Complete articles: chunks with their vectors and metadata in Chroma, and in the ledger with their terms."""

    def __init__(self, settings: Settings, embedder: Embedder):
        self.embedder = embedder
        self._settings = settings
        self._embedded = not settings.chroma_url
        folder = settings.data_dir / "lexical"
        self.lexical = LexicalIndex(folder / f"{settings.collection}.sqlite3")
        self._writer = WriterLock(folder / f"{settings.collection}.lock")
        self.bm25 = BM25Index(folder / f"{settings.collection}.tantivy")
        self._handles = threading.Lock()
        self._reopening = threading.Lock()
        # Read before Chroma is opened: anything committed after it makes the next use reopen.
        self._seen = self.lexical.revision()
        self._chroma = _Chroma(settings, embedder)
        self.max_batch = self._chroma.client.get_max_batch_size()  # the most records Chroma takes in one call
        self._catch_up()

    # --- keeping the Chroma view current ---

    @contextmanager
    def _using(self) -> Iterator[_Chroma]:
        """The current opening of Chroma, reopened first if another process has written since."""
        if self._embedded and self.lexical.revision() != self._seen:
            self._reopen()
        with self._handles:
            chroma = self._chroma
            chroma.users += 1
        try:
            yield chroma
        finally:
            with self._handles:
                chroma.users -= 1
                done = chroma.retired and not chroma.users
            if done:
                chroma.close()

    def _bm25_behind(self) -> bool:
        """Whether the BM25 index has a log to replay, or is empty while the ledger is not."""
        return bool(self.lexical.changes()[1]) or (len(self.bm25) == 0 and len(self.lexical) > 0)

    def _reopen(self, force: bool = False) -> None:
        with self._reopening:
            revision = self.lexical.revision()
            if revision == self._seen and not force:
                return  # another thread reopened meanwhile
            fresh = _Chroma(self._settings, self.embedder)
            with self._handles:
                old, self._chroma, self._seen = self._chroma, fresh, revision
                old.retired = True
                done = not old.users
            if done:
                old.close()

    def _query(self, **query) -> dict:
        # Between another process's Chroma writes and its ledger commit, the embedded HNSW index we loaded can
        # lack records that Chroma's metadata (read afresh) already has; Chroma then fails a filtered query
        # ("Error finding id"). Reopening loads them.
        for attempt in range(1, _QUERY_ATTEMPTS + 1):
            with self._using() as chroma:
                try:
                    return chroma.chunks.query(**query)
                except InternalError:
                    if not self._embedded or attempt == _QUERY_ATTEMPTS:
                        raise
            self._reopen(force=True)

    def _catch_up(self) -> None:
        """Fill the ledger from a store written before it existed, re-index terms made by older code, find the
        unit vectors of chunks that lack them (moved from an older store's Chroma collection, or embedded), and
        fill a new BM25 index or replay a log a killed writer left."""
        current = self.lexical.terms_version() == TERMS_VERSION and not self.lexical.units_missing()
        if current and not self._bm25_behind():
            return
        with self._writer.held(), self._using() as chroma:
            # A new (or emptied) index with nothing logged for it is filled from the ledger: the whole ledger is
            # logged in one transaction first, so a kill while filling leaves the rest logged.
            if self._bm25_behind() and not self.lexical.changes()[1]:
                self.lexical.log_every_chunk()
            version = self.lexical.terms_version()
            if version is None and self.lexical.created and not self.lexical.pending() and chroma.chunks.count():
                self._adopt(chroma)
            elif version not in (None, TERMS_VERSION):
                ids = self.lexical.chunk_ids()
                self.lexical.reindex(chunk for at in range(0, len(ids), _ID_BATCH) for chunk in self._get(chroma, ids[at : at + _ID_BATCH]))
            if self.lexical.units_missing():
                self._find_units(chroma)
            self._index_changes()
            self._seen = self.lexical.revision()

    def _adopt(self, chroma: _Chroma) -> None:
        # Before the ledger, a store held whatever Chroma held; it is taken as it is, in one transaction, and its
        # unit vectors are found next.
        by_article: dict[str, list[Chunk]] = {}
        offset = 0
        while (batch := chroma.chunks.get(include=["documents", "metadatas"], limit=_ID_BATCH, offset=offset))["ids"]:
            offset += len(batch["ids"])
            for row in zip(batch["ids"], batch["documents"], batch["metadatas"]):
                chunk = Chunk.from_store(*row)
                by_article.setdefault(chunk.article_id, []).append(chunk)
        articles = [sorted(chunks, key=lambda c: c.index) for chunks in by_article.values()]
        self.lexical.commit_articles([self.lexical.prepare(chunks, None) for chunks in articles])

    def _find_units(self, chroma: _Chroma) -> None:
        """Keep the unit vectors of every chunk that lacks them, taken from the sentence collection older stores
        kept in Chroma where a record there holds the same text, else embedded; then drop that collection. Each
        batch is its own transaction: a crash here is taken up again at the next opening."""
        older = f"{self._settings.collection}_sentences"
        has_older = older in {c.name for c in chroma.client.list_collections()}
        older_units = chroma.client.get_collection(older, embedding_function=_ChromaEmbedding(self.embedder)) if has_older else None
        missing = self.lexical.chunks_without_units()
        for at in range(0, len(missing), _UNITS_BATCH):
            chunks = self._get(chroma, missing[at : at + _UNITS_BATCH])
            units = [unit for chunk in chunks for unit in chunk.sentences]
            found = {}
            if older_units is not None:
                texts = {unit.id: unit.text for unit in units}
                got = older_units.get(ids=list(texts), include=["documents", "embeddings"])
                found = {i: vector for i, text, vector in zip(got["ids"], got["documents"], got["embeddings"]) if texts[i] == text}
            embed = [unit for unit in units if unit.id not in found]
            if embed:
                found.update(zip([u.id for u in embed], self.embedder.embed_passages([u.searchable_text for u in embed])))
            vectors = np.array([found[unit.id] for unit in units], dtype=np.float32).reshape(len(units), self.embedder.dim)
            self.lexical.add_units(chunks, vectors)
        self.lexical.units_found()
        if has_older:
            chroma.client.delete_collection(older)

    @staticmethod
    def _get(chroma: _Chroma, chunk_ids: list[str]) -> list[Chunk]:
        got = chroma.chunks.get(ids=chunk_ids, include=["documents", "metadatas"])
        return [Chunk.from_store(*row) for row in zip(got["ids"], got["documents"], got["metadatas"])]

    # --- writing ---

    def write_article(self, chunks: list[Chunk], vectors: np.ndarray, unit_vectors: np.ndarray) -> bool:
        """Store one article whole (see `write_articles`); False when this version was already stored."""
        return self.write_articles([(chunks, vectors, unit_vectors)])[0]

    def write_articles(self, articles: list[tuple[list[Chunk], np.ndarray, np.ndarray]]) -> list[bool]:
        """Store articles, each whole, replacing any version of it (steps 1-5 in the module docstring, for
        all of them at once, so Chroma gets few large calls): each article's chunks with their vectors and its
        units (`chunk.sentences` in order) with theirs. Says for each article whether it was written: not
        when another writer stored this very version meanwhile, or when a later one in the list has its id."""
        last = {chunks[0].article_id: n for n, (chunks, _, _) in enumerate(articles)}
        prepared = {
            n: self.lexical.prepare(chunks, unit_vectors)
            for n, (chunks, _, unit_vectors) in enumerate(articles) if last[chunks[0].article_id] == n
        }
        with self._writer.held(), self._using() as chroma:
            self._repair(chroma)
            stored = self.lexical.versions(last)
            for n in list(prepared):
                article_id, fingerprint = articles[n][0][0].article_id, articles[n][0][0].fingerprint
                if stored.get(article_id, ("",))[0] == fingerprint:
                    del prepared[n]
            if prepared:
                ids = [articles[n][0][0].article_id for n in prepared]
                self._seen = self.lexical.withdraw(ids)
                for article_id in ids:
                    if article_id in stored:  # else Chroma holds nothing of it: a crash's leftovers were pending
                        self._drop(chroma, article_id)
                chunks = [c for n in prepared for c in articles[n][0]]
                self._add(
                    chroma.chunks, [c.id for c in chunks], [c.text for c in chunks], [c.metadata() for c in chunks],
                    np.concatenate([articles[n][1] for n in prepared]),
                )
                self._seen = self.lexical.commit_articles(list(prepared.values()))
                self._index_changes()
        return [n in prepared for n in range(len(articles))]

    def delete_article(self, article_id: str) -> int:
        """Remove an article whole (ledger first, then Chroma); returns how many chunks it had."""
        with self._writer.held(), self._using() as chroma:
            self._repair(chroma)
            stored = self.lexical.versions([article_id]).get(article_id)
            if not stored:
                return 0
            self._seen = self.lexical.withdraw([article_id])
            self._drop(chroma, article_id)
            self.lexical.settle(article_id)
            self._index_changes()
        return len(stored[1])

    def _repair(self, chroma: _Chroma) -> None:
        # Called with the writer lock held: any article still pending, or log not replayed, was left by a writer
        # that died.
        for article_id in self.lexical.pending():
            self._drop(chroma, article_id)
            self.lexical.settle(article_id)
        self._index_changes()

    def _index_changes(self) -> None:
        """Step 6: replay the ledger's log of changed chunk rows into the BM25 index (writer lock held)."""
        last, rows = self.lexical.changes()
        for at in range(0, len(rows), _REPLAY_BATCH):
            batch = rows[at : at + _REPLAY_BATCH]
            self.bm25.replay(batch, self.lexical.rows_to_index(batch))
        if rows:
            self.lexical.forget_changes(last)

    def _drop(self, chroma: _Chroma, article_id: str) -> None:
        ids = chroma.chunks.get(where={"article_id": article_id}, include=[])["ids"]
        for at in range(0, len(ids), self.max_batch):
            chroma.chunks.delete(ids=ids[at : at + self.max_batch])

    def _add(self, collection, ids: list[str], documents: list[str], metadatas: list[dict], vectors: np.ndarray) -> None:
        # Chroma refuses a call over its largest batch (5,461 records embedded); the ledger makes the batches
        # of one article appear together.
        for at in range(0, len(ids), self.max_batch):
            end = at + self.max_batch
            collection.add(
                ids=ids[at:end], documents=documents[at:end], metadatas=metadatas[at:end], embeddings=vectors[at:end]
            )

    def check(self) -> list[str]:
        """What disagrees between the ledger, the BM25 index and Chroma, article by article; nothing in a sound
        store. The leftovers of an interrupted write (pending, cleaned by the next write; a log not replayed, which
        is replayed first) are not counted. Writes wait meanwhile: it reads every record's article id from Chroma."""
        with self._writer.held(), self._using() as chroma:
            self._index_changes()
            ledger, pending = self.lexical.census(), set(self.lexical.pending())
            chunks = _records_by_article(chroma.chunks)
            searched = {article_id: self.bm25.rows_of(article_id) for article_id in ledger}
            extra = len(self.bm25) - sum(searched.values())
            unmatched, miscounted = self.lexical.unmatched_terms(), self.lexical.miscounted_terms()
        problems = []
        for article_id, (counted, counted_units, indexed, units) in sorted(ledger.items()):
            held = chunks.pop(article_id, 0)
            if (held, indexed, searched[article_id], units) != (counted, counted, counted, counted_units):
                problems.append(
                    f"{article_id}: the ledger counts {counted} chunks and {counted_units} units; Chroma holds {held}"
                    f" chunks, the ledger's terms {indexed} chunks, the BM25 index {searched[article_id]} chunks and"
                    f" the vectors of {units} units"
                )
        for article_id in sorted(chunks.keys() - pending):
            problems.append(f"{article_id}: Chroma holds records of an article that is not in the ledger")
        if extra:
            problems.append(f"the BM25 index holds {extra} chunks of articles that are not in the ledger")
        if unmatched:
            problems.append(f"the ledger has {unmatched} term or field rows without their counterpart")
        if miscounted:
            problems.append(f"the ledger counts {miscounted} terms in a different number of chunks than it holds")
        return problems

    # --- reading ---

    def count(self) -> int:
        """How many chunks the store holds (of complete articles)."""
        return len(self.lexical)

    def sources(self) -> set[str]:
        """Every source that has a stored chunk."""
        return self.lexical.sources()

    def articles(self, offset: int, limit: int) -> tuple[int, list[Chunk]]:
        """How many articles are stored, and a page of them in the order they were written, each as its first
        chunk (every chunk carries its article's metadata)."""
        total, first_ids = self.lexical.articles(offset, limit)
        with self._using() as chroma:
            found = {c.id: c for c in self._get(chroma, first_ids)} if first_ids else {}
        return total, [found[i] for i in first_ids if i in found]

    def article_at(self, url: str) -> Chunk | None:
        """The first chunk of a stored article whose URL is `url` (or whose id is: pages are named by their URL)."""
        first_at_url = {"$and": [{"index": 0}, {"$or": [{"url": url}, {"article_id": url}]}]}
        with self._using() as chroma:
            got = chroma.chunks.get(where=first_at_url, include=["documents", "metadatas"])
        found = [Chunk.from_store(*row) for row in zip(got["ids"], got["documents"], got["metadatas"])]
        complete = self.lexical.complete([c.id for c in found])
        return min((c for c in found if c.id in complete), key=lambda c: c.article_id, default=None)

    def versions(self, article_ids) -> dict[str, tuple[str, set[str]]]:
        """For each stored article among `article_ids`: the fingerprint it was stored with and its chunk ids."""
        return self.lexical.versions(article_ids)

    def passages(self, chunk_ids: list[str], vector: np.ndarray) -> list[Passage]:
        """The stored chunks with these ids, in the order asked, scored by cosine similarity to `vector`."""
        if not chunk_ids:
            return []
        with self._using() as chroma:
            got = chroma.chunks.get(ids=chunk_ids, include=["documents", "metadatas", "embeddings"])
        found = {
            i: Passage(Chunk.from_store(i, text, meta), float(np.dot(stored, vector)))
            for i, text, meta, stored in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        }
        return [found[i] for i in chunk_ids if i in found]

    def search(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[Passage]:
        """The k chunks nearest to `vector`, best first, among those that pass `filters`."""
        return self.passages([chunk_id for chunk_id, _ in self.nearest(vector, k, filters)], vector)

    def nearest(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """(chunk id, similarity) of the k chunks of complete articles nearest to `vector` that pass `filters`:
        ids only, which is all fusion needs. Asks Chroma for more while records of unfinished articles (being
        written, or left by a crash) or of filtered-out ones crowd them out.

        Filters are applied in SQLite, not by Chroma's `where`, which reads its metadata linearly (0.2 s a query
        at 10k chunks): a filter that leaves at most _SEARCH_WITHIN chunks names their records to Chroma (`ids`),
        a broader one is applied to the results, of which more are asked for at once."""
        within, asked = None, k
        if filters:
            within = self.lexical.matching(filters, _SEARCH_WITHIN)
            if within == []:
                return []
            if within is None:
                asked *= _BROAD_FILTER_ASKS
        while True:
            wanted = min(asked, len(within)) if within else asked
            got = self._query(query_embeddings=[vector], n_results=wanted, ids=within, include=["distances"])
            best = {chunk_id: 1.0 - float(distance) for chunk_id, distance in zip(got["ids"][0], got["distances"][0])}
            passing = self.lexical.complete(list(best), filters)
            kept = [(chunk_id, similarity) for chunk_id, similarity in best.items() if chunk_id in passing][:k]
            exhausted = len(got["ids"][0]) < wanted or (within is not None and wanted == len(within))
            if len(kept) == k or len(best) == len(passing) or exhausted:
                return kept
            asked *= 4

    def sentences(self, chunks: list[Chunk], vector: np.ndarray) -> list[tuple[Sentence, float]]:
        """The units of these stored chunks with their similarity to `vector`, in chunk order, then text order.
        A chunk read before its article was written again has none: its text and the stored spans may differ."""
        units = self.lexical.units([chunk.id for chunk in chunks])
        found = []
        for chunk in chunks:
            fingerprint, spans, vectors = units.get(chunk.id, (None, [], None))
            if fingerprint != chunk.fingerprint:
                continue
            similarities = vectors @ vector
            found += sorted(
                ((chunk.unit(n, s, e), float(similarity)) for n, ((s, e), similarity) in enumerate(zip(spans, similarities))),
                key=lambda pair: pair[0].start,
            )
        return found

    def lexical_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score, higher is better) pairs for `query` among complete articles that
        pass `filters`; chunks with no asked term are left out."""
        found = self.bm25.search(self.lexical.asked_terms(query), k, filters)
        chunk_ids = self.lexical.in_step([row for row, _ in found])
        return [(chunk_ids[row], score) for row, score in found if row in chunk_ids]


def _records_by_article(collection) -> Counter:
    """How many records of each article a Chroma collection holds."""
    held: Counter = Counter()
    offset = 0
    while metadatas := collection.get(include=["metadatas"], limit=_ID_BATCH * 10, offset=offset)["metadatas"]:
        offset += len(metadatas)
        held.update(m["article_id"] for m in metadatas)
    return held
