"""The store's SQLite file: the ledger of complete articles, their chunks' analysed terms (which the BM25 index,
vectorstore/bm25.py, is derived from, through the `changes` log), and the vectors of their chunks' units
(sentences and clause windows).

One file per store (DATA_DIR/lexical/<collection>.sqlite3), shared by every process that opens the store: WAL
mode lets readers go on while one writer commits, and each write is a transaction, so a reader sees an article's
ledger row and its lexical rows together or neither. An article is "stored" only when its ledger row exists;
Chroma may briefly hold records of an article that is being written (or that a crash left), and readers drop
them by asking `complete()`.

Why unit vectors here and not in Chroma: answers read the units of a question's five best passages, by chunk,
and nothing searches all units at once (retrieval ranks chunks). In Chroma each unit was a record of an HNSW
index held in memory, about 17 per chunk: 1.7M vectors and 3.6 GB of RSS at 100k chunks, and the most of each
write. Here they are a float16 matrix per chunk, read from disk by chunk, and written in the transaction that
writes the article's ledger row. A unit is named by its span in the chunk, so the text is the chunk's own.

Chunks' terms are Sanad's analysis (`analysis.terms`: Arabic stems, "~" name keys) joined by spaces; the count
of chunks holding each term is kept with them, in the same transactions, for what questions ask of it.
"""

from __future__ import annotations

import json
import sqlite3
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
CREATE TABLE IF NOT EXISTS bodies(id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY, chunk INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_chunk ON changes(chunk);
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
    """Ledger rows, chunk fields, terms and unit vectors in one SQLite file; every method is safe from any thread."""

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
        # A store from before the BM25 index left SQLite keeps its terms, recounted as they are written now, and
        # has every chunk logged for the new index.
        if self._has_table("terms"):
            with self._transaction() as db:
                if self._has_table("terms"):  # another process may have moved them meanwhile
                    self._leave_fts5(db)

    def _has_table(self, name: str) -> bool:
        return self._db().execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None

    def _leave_fts5(self, db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO bodies SELECT rowid, body FROM terms")
        db.execute("DROP TABLE vocab")
        db.execute("DROP TABLE terms")
        db.execute("DELETE FROM meta WHERE key = 'tokens'")
        self._recount_terms(db)
        self._log_every_chunk(db)

    @staticmethod
    def _term_counts(db: sqlite3.Connection) -> Counter:
        """How many chunks hold each term, counted from every chunk's terms (migrations and checks only)."""
        return Counter(term for (body,) in db.execute("SELECT body FROM bodies") for term in set(body.split()))

    def _recount_terms(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM term_counts")
        db.executemany("INSERT INTO term_counts VALUES (?, ?)", self._term_counts(db).items())

    @staticmethod
    def _tally(db: sqlite3.Connection, bodies: list[str], sign: int) -> None:
        """Count these chunks in (sign 1) or out (sign -1) of the chunk count, and their terms of the term counts."""
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'chunks'", (sign * len(bodies),))
        counts = Counter(term for body in bodies for term in set(body.split()))
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
        """Take articles out of the ledger and their chunks out of it (logged for the BM25 index), and mark them
        pending until `settle` or `commit_articles`; returns the new revision."""
        with self._transaction() as db:
            for article_id in article_ids:
                db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
                of_article = "(SELECT id FROM chunks WHERE article_id = ?)"
                bodies = db.execute(f"SELECT body FROM bodies WHERE id IN {of_article}", (article_id,)).fetchall()
                self._tally(db, [body for (body,) in bodies], -1)
                db.execute("INSERT INTO changes(chunk) SELECT id FROM chunks WHERE article_id = ?", (article_id,))
                db.execute(f"DELETE FROM unit_vectors WHERE chunk IN {of_article}", (article_id,))
                db.execute(f"DELETE FROM bodies WHERE id IN {of_article}", (article_id,))
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
        """Write articles' chunks (logged for the BM25 index) and their ledger rows, in one transaction: the
        articles are now stored. Returns the new revision."""
        with self._transaction() as db:
            for article in articles:
                self._tally(db, [body for _, body, _ in article.chunks], 1)
                for fields, body, unit_row in article.chunks:
                    row = db.execute(
                        f"INSERT INTO chunks(chunk_id, article_id, {', '.join(_FILTER_COLUMNS)}) "
                        f"VALUES ({_placeholders(fields)}) RETURNING id", fields,
                    ).fetchone()[0]
                    db.execute("INSERT INTO bodies VALUES (?, ?)", (row, body))
                    db.execute("INSERT INTO changes(chunk) VALUES (?)", (row,))
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
        """Rows of terms and unit vectors without their chunk, and chunks without their terms (0 in a sound
        ledger)."""
        db = self._db()
        return db.execute(
            "SELECT (SELECT count(*) FROM bodies WHERE id NOT IN (SELECT id FROM chunks))"
            " + (SELECT count(*) FROM chunks WHERE id NOT IN (SELECT id FROM bodies))"
            " + (SELECT count(*) FROM unit_vectors WHERE chunk NOT IN (SELECT id FROM chunks))"
        ).fetchone()[0]

    def miscounted_terms(self) -> int:
        """Terms whose kept count differs from a count of the chunks' terms, plus one if the kept count of chunks
        differs from the chunks (0 in a sound ledger). Reads every chunk's terms."""
        db = self._db()
        with self._transaction():  # one view of the ledger for the three counts
            counted = self._term_counts(db)
            kept = dict(db.execute("SELECT term, chunks FROM term_counts"))
            chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return len(counted.items() ^ kept.items()) + (chunks != len(self))

    def chunk_ids(self) -> list[str]:
        """Every indexed chunk's id."""
        return [row[0] for row in self._db().execute("SELECT chunk_id FROM chunks")]

    def reindex(self, chunks: Iterable[Chunk]) -> None:
        """Replace the terms of every chunk with what this code's `analysis.terms` makes of them (a migration)."""
        with self._transaction() as db:
            for chunk in chunks:
                db.execute(
                    "UPDATE bodies SET body = ? WHERE id = (SELECT id FROM chunks WHERE chunk_id = ?)",
                    (" ".join(terms(chunk.searchable_text)), chunk.id),
                )
            self._recount_terms(db)
            self._log_every_chunk(db)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('terms_version', ?)", (TERMS_VERSION,))
            self._bump(db)

    # --- the log the BM25 index is kept in step by (vectorstore/bm25.py) ---

    def changes(self) -> tuple[int, list[int]]:
        """The last entry of the log of changed chunk rows, and those rows, each once (none: 0, [])."""
        db = self._db()
        last = db.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
        return last, [row[0] for row in db.execute("SELECT DISTINCT chunk FROM changes WHERE seq <= ?", (last,))]

    def rows_to_index(self, rows: list[int]) -> dict[int, tuple[tuple, str]]:
        """For those of these chunk rows the ledger holds: their filter fields (the published day first, the
        article id last) and their terms."""
        found = {}
        for batch in _slices(rows):
            found.update(
                (row, (fields, body)) for row, body, *fields in self._db().execute(
                    f"SELECT c.id, b.body, {', '.join(_FILTER_COLUMNS)}, c.article_id FROM chunks c "
                    f"JOIN bodies b USING (id) WHERE c.id IN ({_placeholders(batch)})", batch,
                )
            )
        return found

    def forget_changes(self, last: int) -> None:
        """The BM25 index holds every change logged up to `last`."""
        with self._transaction() as db:
            db.execute("DELETE FROM changes WHERE seq <= ?", (last,))

    def log_every_chunk(self) -> None:
        """Log every chunk as changed: a new BM25 index is filled from the ledger."""
        with self._transaction() as db:
            self._log_every_chunk(db)

    @staticmethod
    def _log_every_chunk(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO changes(chunk) SELECT id FROM chunks")

    def in_step(self, rows: list[int]) -> dict[int, str]:
        """The chunk id of each of these rows that the BM25 index holds as the ledger does: a row changed since
        the index last caught up may stand for an older chunk there, so it is left out until then."""
        found: dict[int, str] = {}
        for batch in _slices(rows):
            found.update(self._db().execute(
                f"SELECT id, chunk_id FROM chunks WHERE id IN ({_placeholders(batch)}) "
                f"AND id NOT IN (SELECT chunk FROM changes)", batch,
            ))
        return found

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
        for batch in _slices(list(dict.fromkeys(article_ids))):
            rows = self._db().execute(
                f"SELECT c.article_id, b.body FROM chunks c JOIN bodies b USING (id)"
                f" WHERE c.article_id IN ({_placeholders(batch)})", batch,
            )
            for article_id, body in rows:
                for term in found.keys() & set(body.split()):
                    found[term].add(article_id)
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
        for batch in _slices(wanted):
            counts.update(self._db().execute(
                f"SELECT term, chunks FROM term_counts WHERE term IN ({_placeholders(batch)})", batch
            ))
        return {term: counts.get(term, 0) for term in wanted}

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

    def asked_terms(self, query: str) -> list[str]:
        """The terms BM25 asks for `query`: its own (`question_terms`) and the Arabic translations of its English
        words (lexicon.tsv), without those that more than half the chunks hold (if every term is that common,
        the rarest). Such a term adds little to a score and costs the most to look up."""
        counts = self.document_frequencies(self.question_terms(query) + translations(query))
        if not counts:
            return []
        rarest = min(counts, key=counts.get)
        return [term for term, n in counts.items() if n <= len(self) / 2] or [rarest]
