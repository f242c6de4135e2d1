"""The store's SQLite file: the ledger of complete articles, the BM25 index of their chunks' terms, and the
vectors of their chunks' units (sentences and clause windows).

One file per store (DATA_DIR/lexical/<collection>.sqlite3), shared by every process that opens the store: WAL
mode lets readers go on while one writer commits, and each write is a transaction, so a reader sees an article's
ledger row and its lexical rows together or neither. An article is "stored" only when its ledger row exists;
Chroma may briefly hold records of an article that is being written (or that a crash left), and readers drop
them by asking `complete()`.

Why SQLite FTS5 (issue 10):
- Tantivy (`tantivy` on PyPI) is a fine engine, but it is one more native dependency, its index is a folder of
  segments with its own writer lock and commit, and it cannot share a transaction with the ledger: an article
  could be in the ledger and not in the index after a crash, which is what this file exists to prevent. The
  price, measured at 1M stand-in chunks (bench/README.md): FTS5 scores every chunk that holds an asked term,
  so a question's BM25 takes about 195 ms, where Tantivy's pruning takes 8.
- Sparse vectors inside Chroma (`SparseVectorIndexConfig`, `Search` with `Rrf`) answer "Sparse vector indexing
  is not enabled in local" in chromadb 1.5: only distributed Chroma has them, so the embedded default could not.
- FTS5 is in Python's standard library, computes BM25 itself (k1=1.2, b=0.75; bm25s used k1=1.5), updates in
  time proportional to one article, is read from disk on demand (memory does not grow with the store, start-up
  reads nothing), and filters are SQL conditions on indexed columns.

Why unit vectors here and not in Chroma: answers read the units of a question's five best passages, by chunk,
and nothing searches all units at once (retrieval ranks chunks). In Chroma each unit was a record of an HNSW
index held in memory, about 17 per chunk: 1.7M vectors and 3.6 GB of RSS at 100k chunks, and the most of each
write. Here they are a float16 matrix per chunk, read from disk by chunk, and written in the transaction that
writes the article's ledger row. A unit is named by its span in the chunk, so the text is the chunk's own.

Chunks are indexed as Sanad's analysed terms (`analysis.terms`: Arabic stems, "~" name keys) joined by spaces.
The `ascii` tokenizer with "~" and "_" as token characters keeps every term whole: it splits on spaces and
ASCII punctuation (which terms never contain) and only folds ASCII capitals, which only name keys have.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import string
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis import TERMS_VERSION, name_respellings, terms, translations
from records import Chunk, Filters

# SQLite limits how many values one statement may bind; id lists go in slices of this size.
_BATCH = 500
# Filters are SQL conditions on these columns of `chunks` (Filters.conditions names them as Chroma does); a
# field a chunk does not carry is stored as "".
_FILTER_COLUMNS = ("published_day", "source", "author", "lang", "outlet", "section")
_FILTERABLE = (*_FILTER_COLUMNS, "article_id")  # the article id is a column of its own
_OPERATORS = {"$gte": ">=", "$lte": "<="}
# What FTS5's ascii tokenizer (with "~" and "_" as token characters) takes as one token: the term counts are
# kept per token so that they equal FTS5's own (its `vocab` table, which is too slow to ask per question).
_TOKEN = re.compile(r"[0-9A-Za-z~_\u0080-\U0010FFFF]+")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# FTS5's BM25 parameters, for chunks scored here (`_rescored`).
_K1, _B = 1.2, 0.75
# A term in more than this share of the chunks, and in more than this many, is "common": its postings are long,
# so BM25 first finds the chunks that hold a rarer asked term, this many times as many as wanted (and at least
# this many), then scores those by every asked term. Below the count FTS5's own ranking is cheap and exact: with
# a share alone, a 286-chunk store (news-ar) lost one English question of 45 at hit@1.
_COMMON, _COMMON_AT_LEAST = 0.1, 5_000
_CANDIDATES_PER_RESULT = 4
_CANDIDATES_AT_LEAST = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(
    article_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, title TEXT NOT NULL, first_chunk TEXT NOT NULL,
    chunks INTEGER NOT NULL, sentences INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL,
    published_day INTEGER NOT NULL, source TEXT NOT NULL, author TEXT NOT NULL, lang TEXT NOT NULL,
    outlet TEXT NOT NULL, section TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS chunks_day ON chunks(published_day);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
CREATE INDEX IF NOT EXISTS chunks_author ON chunks(author);
CREATE INDEX IF NOT EXISTS chunks_lang ON chunks(lang);
CREATE INDEX IF NOT EXISTS chunks_outlet ON chunks(outlet);
CREATE INDEX IF NOT EXISTS chunks_section ON chunks(section);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(body, tokenize="ascii tokenchars '~_'");
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(terms, row);
CREATE TABLE IF NOT EXISTS term_counts(term TEXT PRIMARY KEY, chunks INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending(article_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS unit_vectors(chunk INTEGER PRIMARY KEY, spans TEXT NOT NULL, vectors BLOB NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('revision', '0');
"""


def _slices(items: list, size: int = _BATCH) -> Iterator[list]:
    for at in range(0, len(items), size):
        yield items[at : at + size]


def _placeholders(values: list) -> str:
    return ",".join("?" * len(values))


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _unit_rows(chunks: list[Chunk], vectors: np.ndarray) -> list[tuple[str, bytes]]:
    """Each chunk's unit row: its units' spans in its text (JSON) and their vectors (float16: the cosines an
    answer compares differ by under 0.001 from float32's)."""
    rows, at = [], 0
    for chunk in chunks:
        units = chunk.sentences
        spans = [[unit.start - chunk.start, unit.end - chunk.start] for unit in units]
        rows.append((json.dumps(spans), vectors[at : at + len(units)].astype(np.float16).tobytes()))
        at += len(units)
    if at != len(vectors):
        raise ValueError(f"{len(vectors)} unit vectors for {at} units")
    return rows


def _folded(term: str) -> str:
    """The term as FTS5's ascii tokenizer indexes it: ASCII capitals (name keys) folded, nothing else."""
    return term.translate(_ASCII_LOWER)


def _conditions(filters: Filters | None) -> tuple[list[str], list]:
    """Filters as SQL conditions on `chunks c`, with their values."""
    conditions, values = [], []
    for name, operator, value in filters.conditions() if filters else []:
        if name not in _FILTERABLE:
            raise ValueError(f"no filter on {name!r}")
        if operator in _OPERATORS:
            conditions.append(f"c.{name} {_OPERATORS[operator]} ?")
            values.append(value)
        else:
            negated = "NOT " if operator == "$nin" else ""
            conditions.append(f"c.{name} {negated}IN ({_placeholders(value)})")
            values.extend(value)
    return conditions, values


@dataclass(frozen=True)
class PreparedArticle:
    """An article's ledger row, and for each chunk its fields, analysed terms and unit row (spans, vectors; None
    when the vectors are still to be found), ready to commit."""

    ledger: tuple
    chunks: list[tuple[tuple, str, tuple[str, bytes] | None]]


# How long a connection waits for another process's lock before it gives up.
_BUSY_SECONDS = 60


def _turn_on_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode (a no-op once it is). Turning WAL on needs an exclusive lock for which SQLite does
    not wait on the busy timeout: processes opening a new store at once (two ingests, an ingest and the app) would
    fail with "database is locked", so this waits here."""
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class LexicalIndex:
    """Ledger rows, chunk fields and FTS5 terms in one SQLite file; every method is safe from any thread."""

    def __init__(self, path: Path):
        self.path = path
        self.created = not path.exists()  # a store from before the ledger may need adopting (ChunkStore)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        had_units = self._has_table("unit_vectors")
        self._db().executescript(_SCHEMA)
        # The count of chunks is kept by every write, since every question reads it (count(*) walks an index: 18 ms
        # at 1M chunks, 0.24 s cold); a store from before it was kept is counted once, here.
        if self._db().execute("SELECT 1 FROM meta WHERE key = 'chunks'").fetchone() is None:
            with self._transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta SELECT 'chunks', count(*) FROM chunks")
        # A store from before unit vectors were kept here has them in Chroma: a mark that ChunkStore moves them.
        if not had_units and len(self):
            with self._transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('units_missing', '1')")
        # A store from before the index kept its term counts has them counted once, from FTS5's own.
        if not self._counts_terms():
            with self._transaction() as db:
                if not self._counts_terms():
                    self._recount_terms(db)

    def _has_table(self, name: str) -> bool:
        return self._db().execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

    def _counts_terms(self) -> bool:
        return self._db().execute("SELECT 1 FROM meta WHERE key = 'tokens'").fetchone() is not None

    @staticmethod
    def _recount_terms(db: sqlite3.Connection) -> None:
        """Set every term's count, and the count of all tokens, from FTS5's vocabulary (a scan of the whole
        index: migrations only)."""
        db.execute("DELETE FROM term_counts")
        db.execute("INSERT INTO term_counts SELECT term, doc FROM vocab")
        db.execute("INSERT OR REPLACE INTO meta SELECT 'tokens', coalesce(sum(cnt), 0) FROM vocab")

    @staticmethod
    def _tally(db: sqlite3.Connection, bodies: list[str], sign: int) -> None:
        """Count these chunks in (sign 1) or out (sign -1) of the chunk count, and their terms of the term counts
        and the token count."""
        tokens = [[_folded(t) for t in _TOKEN.findall(body)] for body in bodies]
        db.executemany(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = ?",
            [(sign * sum(map(len, tokens)), "tokens"), (sign * len(bodies), "chunks")],
        )
        counts = Counter(token for found in tokens for token in set(found))
        db.executemany(
            "INSERT INTO term_counts VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET chunks = chunks + excluded.chunks",
            [(term, sign * count) for term, count in counts.items()],
        )
        if sign < 0:
            db.executemany("DELETE FROM term_counts WHERE term = ? AND chunks <= 0", [(term,) for term in counts])

    def _db(self) -> sqlite3.Connection:
        """This thread's connection: sqlite3 connections must not be shared between threads."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=_BUSY_SECONDS)
            _turn_on_wal(db)
            # WAL with synchronous=NORMAL loses no committed transaction when a process is killed (only on
            # power loss), and commits cost no fsync each.
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), so that two writers queue instead of failing."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def __len__(self) -> int:
        return int(self._db().execute("SELECT value FROM meta WHERE key = 'chunks'").fetchone()[0])

    def revision(self) -> int:
        """A number that grows with every committed change; another process's write shows as a new value."""
        return int(self._db().execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    def terms_version(self) -> str | None:
        """The `analysis.TERMS_VERSION` the terms were indexed with; None for an index never filled."""
        row = self._db().execute("SELECT value FROM meta WHERE key = 'terms_version'").fetchone()
        return row[0] if row else None

    # --- the ledger ---

    def versions(self, article_ids: Iterable[str]) -> dict[str, tuple[str, set[str]]]:
        """For each complete article among `article_ids`: its fingerprint and chunk ids."""
        found: dict[str, tuple[str, set[str]]] = {}
        db = self._db()
        for batch in _slices(list(dict.fromkeys(article_ids))):
            rows = db.execute(
                f"SELECT a.article_id, a.fingerprint, c.chunk_id FROM articles a JOIN chunks c USING (article_id) "
                f"WHERE a.article_id IN ({_placeholders(batch)})", batch,
            )
            for article_id, fingerprint, chunk_id in rows:
                found.setdefault(article_id, (fingerprint, set()))[1].add(chunk_id)
        return found

    def articles(self, offset: int, limit: int) -> tuple[int, list[str]]:
        """How many articles are complete, and the first chunk ids of a page of them in the order written."""
        db = self._db()
        total = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        # SQLite takes any 64-bit offset; a larger one than the store holds is simply an empty page.
        rows = db.execute("SELECT first_chunk FROM articles ORDER BY rowid LIMIT ? OFFSET ?", (limit, offset))
        return total, [row[0] for row in rows]

    def complete(self, chunk_ids: list[str], filters: Filters | None = None) -> set[str]:
        """Those of `chunk_ids` whose article is complete, and that pass `filters`."""
        conditions, values = _conditions(filters)
        found: set[str] = set()
        for batch in _slices(list(dict.fromkeys(chunk_ids))):
            found.update(row[0] for row in self._db().execute(
                f"SELECT chunk_id FROM chunks c WHERE {' AND '.join([f'chunk_id IN ({_placeholders(batch)})', *conditions])}",
                (*batch, *values),
            ))
        return found

    def matching(self, filters: Filters, most: int) -> list[str] | None:
        """Every complete chunk that passes `filters`; None when more than `most` pass."""
        conditions, values = _conditions(filters)
        rows = self._db().execute(
            f"SELECT chunk_id FROM chunks c WHERE {' AND '.join(conditions) or '1'} LIMIT ?", (*values, most + 1)
        ).fetchall()
        return [row[0] for row in rows] if len(rows) <= most else None

    # --- unit vectors ---

    def units(self, chunk_ids: list[str]) -> dict[str, tuple[str, list[tuple[int, int]], np.ndarray]]:
        """For each of these stored chunks that has its unit vectors: its article's fingerprint, its units' spans
        in its text, and their vectors (float32, one row a unit)."""
        found = {}
        for batch in _slices(list(dict.fromkeys(chunk_ids))):
            rows = self._db().execute(
                f"SELECT c.chunk_id, a.fingerprint, u.spans, u.vectors FROM chunks c JOIN articles a USING (article_id) "
                f"JOIN unit_vectors u ON u.chunk = c.id WHERE c.chunk_id IN ({_placeholders(batch)})", batch,
            )
            for chunk_id, fingerprint, spans, vectors in rows:
                if spans := [tuple(span) for span in json.loads(spans)]:  # a chunk of no units has no matrix
                    vectors = np.frombuffer(vectors, dtype=np.float16).reshape(len(spans), -1).astype(np.float32)
                    found[chunk_id] = (fingerprint, spans, vectors)
        return found

    def units_missing(self) -> bool:
        """Whether some chunks' unit vectors are still to be found (a store from before they were kept here, or
        chunks adopted from Chroma)."""
        return self._db().execute("SELECT 1 FROM meta WHERE key = 'units_missing'").fetchone() is not None

    def chunks_without_units(self) -> list[str]:
        """Every indexed chunk that has no unit vectors."""
        return [row[0] for row in self._db().execute(
            "SELECT chunk_id FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM unit_vectors u WHERE u.chunk = c.id)"
        )]

    def add_units(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Keep the unit vectors of these indexed chunks (`chunk.sentences` in order, all chunks' in one array)."""
        with self._transaction() as db:
            for chunk, row in zip(chunks, _unit_rows(chunks, vectors)):
                db.execute(
                    "INSERT OR REPLACE INTO unit_vectors SELECT id, ?, ? FROM chunks WHERE chunk_id = ?", (*row, chunk.id)
                )

    def units_found(self) -> None:
        """Every chunk has its unit vectors."""
        with self._transaction() as db:
            db.execute("DELETE FROM meta WHERE key = 'units_missing'")

    def pending(self) -> list[str]:
        """Articles whose write or delete began and did not finish (a writer was killed)."""
        return [row[0] for row in self._db().execute("SELECT article_id FROM pending")]

    def withdraw(self, article_ids: list[str]) -> int:
        """Take articles out of the ledger and the index, and mark them pending until `settle` or
        `commit_articles`; returns the new revision."""
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
                bodies = db.execute(
                    "SELECT body FROM terms WHERE rowid IN (SELECT id FROM chunks WHERE article_id = ?)", (article_id,)
                ).fetchall()
                self._tally(db, [body for (body,) in bodies], -1)
                db.execute("DELETE FROM unit_vectors WHERE chunk IN (SELECT id FROM chunks WHERE article_id = ?)", (article_id,))
                db.execute("DELETE FROM terms WHERE rowid IN (SELECT id FROM chunks WHERE article_id = ?)", (article_id,))
                db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
                db.execute("INSERT OR IGNORE INTO pending VALUES (?)", (article_id,))
            return self._bump(db)

    def settle(self, article_id: str) -> None:
        """The article's records are gone from Chroma too: it is no longer pending."""
        with self._transaction() as db:
            db.execute("DELETE FROM pending WHERE article_id = ?", (article_id,))

    @staticmethod
    def prepare(chunks: list[Chunk], unit_vectors: np.ndarray | None) -> PreparedArticle:
        """What `commit_articles` writes for an article, analysed beforehand so that no lock waits on analysis:
        with the vectors of its chunks' units (`chunk.sentences` in order, all chunks' in one array), or None
        when they are still to be found (`add_units`)."""
        first = chunks[0]
        units = _unit_rows(chunks, unit_vectors) if unit_vectors is not None else [None] * len(chunks)
        rows = []
        for chunk, unit_row in zip(chunks, units):
            metadata = chunk.metadata()
            fields = (chunk.id, chunk.article_id, *(metadata.get(name, "") for name in _FILTER_COLUMNS))
            rows.append((fields, " ".join(terms(chunk.searchable_text)), unit_row))
        sentences = sum(len(chunk.sentences) for chunk in chunks)
        return PreparedArticle((first.article_id, first.fingerprint, first.title, first.id, len(chunks), sentences), rows)

    def commit_articles(self, articles: list[PreparedArticle]) -> int:
        """Index articles' chunks and write their ledger rows, in one transaction: the articles are now stored.
        Returns the new revision."""
        with self._transaction() as db:
            for article in articles:
                self._tally(db, [body for _, body, _ in article.chunks], 1)
                for fields, body, unit_row in article.chunks:
                    row = db.execute(
                        f"INSERT INTO chunks(chunk_id, article_id, {', '.join(_FILTER_COLUMNS)}) "
                        f"VALUES ({_placeholders(fields)}) RETURNING id", fields,
                    ).fetchone()[0]
                    db.execute("INSERT INTO terms(rowid, body) VALUES (?, ?)", (row, body))
                    if unit_row is None:
                        db.execute("INSERT OR IGNORE INTO meta VALUES ('units_missing', '1')")
                    else:
                        db.execute("INSERT INTO unit_vectors VALUES (?, ?, ?)", (row, *unit_row))
                db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?)", article.ledger)
                db.execute("DELETE FROM pending WHERE article_id = ?", (article.ledger[0],))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('terms_version', ?)", (TERMS_VERSION,))
            return self._bump(db)

    def census(self) -> dict[str, tuple[int, int, int, int]]:
        """Per stored article: the chunks and units its ledger row counts, its chunks in the index, and the units
        whose vectors are kept."""
        db = self._db()
        indexed = {
            article_id: (chunks, units or 0) for article_id, chunks, units in db.execute(
                "SELECT c.article_id, count(*), sum(json_array_length(u.spans)) FROM chunks c "
                "LEFT JOIN unit_vectors u ON u.chunk = c.id GROUP BY c.article_id"
            )
        }
        return {
            article_id: (chunks, units, *indexed.pop(article_id, (0, 0)))
            for article_id, chunks, units in db.execute("SELECT article_id, chunks, sentences FROM articles")
        } | {article_id: (0, 0, *found) for article_id, found in indexed.items()}

    def unmatched_terms(self) -> int:
        """Rows of the BM25 index and unit vectors without their chunk, and chunks without their terms (0 in a
        sound index)."""
        db = self._db()
        return db.execute(
            "SELECT (SELECT count(*) FROM terms WHERE rowid NOT IN (SELECT id FROM chunks))"
            " + (SELECT count(*) FROM chunks WHERE id NOT IN (SELECT rowid FROM terms))"
            " + (SELECT count(*) FROM unit_vectors WHERE chunk NOT IN (SELECT id FROM chunks))"
        ).fetchone()[0]

    def miscounted_terms(self) -> int:
        """Terms whose kept count differs from FTS5's own, plus one if the count of all tokens does, and one if the
        kept count of chunks does (0 in a sound index)."""
        return self._db().execute(
            "SELECT (SELECT count(*) FROM (SELECT term, doc FROM vocab EXCEPT SELECT term, chunks FROM term_counts))"
            " + (SELECT count(*) FROM (SELECT term, chunks FROM term_counts EXCEPT SELECT term, doc FROM vocab))"
            " + ((SELECT coalesce(sum(cnt), 0) FROM vocab) != (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'tokens'))"
            " + ((SELECT count(*) FROM chunks) != (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'chunks'))"
        ).fetchone()[0]

    def chunk_ids(self) -> list[str]:
        """Every indexed chunk's id."""
        return [row[0] for row in self._db().execute("SELECT chunk_id FROM chunks")]

    def reindex(self, chunks: Iterable[Chunk]) -> None:
        """Replace the terms of every chunk with what this code's `analysis.terms` makes of them (a migration)."""
        with self._transaction() as db:
            for chunk in chunks:
                db.execute(
                    "UPDATE terms SET body = ? WHERE rowid = (SELECT id FROM chunks WHERE chunk_id = ?)",
                    (" ".join(terms(chunk.searchable_text)), chunk.id),
                )
            self._recount_terms(db)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('terms_version', ?)", (TERMS_VERSION,))
            self._bump(db)

    @staticmethod
    def _bump(db: sqlite3.Connection) -> int:
        return int(db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision' RETURNING value"
        ).fetchone()[0])

    # --- what retrieval asks ---

    def sources(self) -> set[str]:
        """Every source that has a stored chunk."""
        return {row[0] for row in self._db().execute("SELECT DISTINCT source FROM chunks")}

    def articles_holding(self, wanted: list[str], article_ids: list[str]) -> dict[str, set[str]]:
        """For each analysed term wanted, those of `article_ids` with a chunk that holds it."""
        found: dict[str, set[str]] = {term: set() for term in wanted}
        folded = {_folded(term): term for term in wanted}
        for batch in _slices(list(dict.fromkeys(article_ids))):
            rows = self._db().execute(
                f"SELECT c.article_id, t.body FROM chunks c JOIN terms t ON t.rowid = c.id"
                f" WHERE c.article_id IN ({_placeholders(batch)})", batch,
            )
            for article_id, body in rows:
                for token in folded.keys() & set(_TOKEN.findall(_folded(body))):
                    found[folded[token]].add(article_id)
        return found

    def languages(self, chunk_ids: list[str]) -> dict[str, str]:
        """The language recorded for each of these chunks that has one."""
        found: dict[str, str] = {}
        for batch in _slices(list(dict.fromkeys(chunk_ids))):
            found.update(self._db().execute(
                f"SELECT chunk_id, lang FROM chunks WHERE chunk_id IN ({_placeholders(batch)})", batch
            ))
        return found

    def document_frequencies(self, analysed: list[str]) -> dict[str, int]:
        """How many chunks contain each analysed term (as `analysis.terms` writes it); 0 for unknown terms."""
        wanted = list(dict.fromkeys(analysed))
        counts: dict[str, int] = {}
        for batch in _slices([_folded(term) for term in wanted]):
            counts.update(self._db().execute(
                f"SELECT term, chunks FROM term_counts WHERE term IN ({_placeholders(batch)})", batch
            ))
        return {term: counts.get(_folded(term), 0) for term in wanted}

    def question_terms(self, question: str) -> list[str]:
        """The question's terms, with a Latin name that no chunk holds under its key asked by the other spelling
        the most chunks hold, if any does (Goubantini: «القوبنطيني»)."""
        asked = terms(question)
        respellings = name_respellings(question)
        counts = self.document_frequencies([*respellings, *(k for others in respellings.values() for k in others)])
        chosen = {}
        for key, others in respellings.items():
            best = max(others, key=counts.get)
            if counts[key] == 0 and counts[best] > 0:
                chosen[key] = best
        return [chosen.get(term, term) for term in asked]

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score, higher is better) pairs for `query`, filters applied by SQL;
        chunks with no query term are left out. The query's English words are also asked by their Arabic
        translations (lexicon.tsv)."""
        counts = self.document_frequencies(self.question_terms(query) + translations(query))
        if not counts:
            return []
        total = len(self)
        # FTS5 weighs a term found in more than half the chunks at nearly 0 (its IDF is clamped to 1e-6) but still
        # walks all its postings: asking without such terms ranks the same. If every term is that common, the
        # rarest is asked.
        rarest = min(counts, key=counts.get)
        asked = {term: n for term, n in counts.items() if n <= total / 2} or {rarest: counts[rarest]}
        rare = [term for term, n in asked.items() if n <= max(total * _COMMON, _COMMON_AT_LEAST)]
        if not rare or len(rare) == len(asked):
            return [(chunk_id, score) for _, chunk_id, score in self._bm25(list(asked), k, filters)]
        # The common terms' postings are most of FTS5's work at scale: the chunks that hold a rare term are found
        # first, then scored by every asked term, with FTS5's formula.
        found = self._bm25(rare, max(k * _CANDIDATES_PER_RESULT, _CANDIDATES_AT_LEAST), filters)
        return self._rescored(found, asked, total)[:k]

    def _bm25(self, asked: list[str], k: int, filters: Filters | None) -> list[tuple[int, str, float]]:
        """FTS5's k best (row, chunk id, score) for chunks that hold any of the `asked` terms."""
        conditions, values = _conditions(filters)
        # Chunk ids are looked up for the k best only, not for every matching chunk (at 1M chunks that join had
        # cost 27 of FTS5's 196 ms, bench/README.md); `chunks` is joined inside only when a filter needs it.
        filtered = " JOIN chunks c ON c.id = terms.rowid" if conditions else ""
        rows = self._db().execute(
            f"SELECT c.id, c.chunk_id, best.score FROM (SELECT terms.rowid AS found, -bm25(terms) AS score "
            f"FROM terms{filtered} WHERE {' AND '.join(['terms MATCH ?', *conditions])} ORDER BY bm25(terms) LIMIT ?) "
            f"best JOIN chunks c ON c.id = best.found ORDER BY best.score DESC",
            (" OR ".join(_quoted(t) for t in asked), *values, k),
        )
        return [(row, chunk_id, float(score)) for row, chunk_id, score in rows]

    def _rescored(self, found: list[tuple[int, str, float]], asked: dict[str, int], total: int) -> list[tuple[str, float]]:
        """These chunks scored by BM25 over the `asked` terms (with their chunk counts), best first, as FTS5
        scores them: k1 1.2, b 0.75, IDF log((N - n + 0.5) / (n + 0.5)) floored at 1e-6."""
        db = self._db()
        average = int(db.execute("SELECT value FROM meta WHERE key = 'tokens'").fetchone()[0]) / max(total, 1)
        idf = {_folded(t): max(math.log((total - n + 0.5) / (n + 0.5)), 1e-6) for t, n in asked.items()}
        ids = {row: chunk_id for row, chunk_id, _ in found}
        scored = []
        for batch in _slices(list(ids)):
            for row, body in db.execute(f"SELECT rowid, body FROM terms WHERE rowid IN ({_placeholders(batch)})", batch):
                tokens = _TOKEN.findall(_folded(body))
                frequencies = Counter(t for t in tokens if t in idf)
                norm = _K1 * (1 - _B + _B * len(tokens) / average)
                scored.append((ids[row], sum(idf[t] * f * (_K1 + 1) / (f + norm) for t, f in frequencies.items())))
        return sorted(scored, key=lambda pair: pair[1], reverse=True)
