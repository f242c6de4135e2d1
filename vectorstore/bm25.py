"""BM25 over the chunks' analysed terms: a Tantivy index, kept in step with the ledger (vectorstore/lexical.py).

Why Tantivy (issue 10): at 1M chunks SQLite FTS5 scored every chunk that held an asked term, about 195 ms a
question; Tantivy skips the chunks that cannot reach the best k (block-max WAND), 8 ms (bench/README.md). It
reads its segments memory-mapped, so memory does not grow with the store and opening reads nothing, and it
applies filters itself, on indexed fields. Sparse vectors inside Chroma exist only in distributed Chroma
("Sparse vector indexing is not enabled in local" in chromadb 1.5), so the embedded default could not use them.

The ledger stays the truth, and this index is derived from it. Tantivy cannot share SQLite's transaction, so
every transaction that adds or removes chunks also logs their rows in the ledger's `changes` table, and
`catch_up` (run by the store's writer, under its lock, after each write, and on opening) replays that log: for
each logged row, delete its document, then add the row again if the ledger still holds it, commit, and only then
forget the log. Replaying twice gives the same index, so a `kill -9` anywhere in between loses nothing: the log
is replayed by the next writer. Until a row is replayed, searches leave it out (`LexicalIndex.in_step`), so a
reader never sees a row's old document standing for its new chunk.

Each chunk is one document: its row in the ledger, its terms as `analysis.terms` wrote them (split on spaces,
nothing folded), and the fields filters ask for. Tantivy's BM25 is k1 1.2, b 0.75, IDF
log(1 + (N - n + 0.5) / (n + 0.5)).
"""

from __future__ import annotations

from pathlib import Path

import tantivy
from tantivy import FieldType, Occur, Query

from records import Filters

# Text fields filters compare whole; the published day is a number.
_TEXT_FILTERS = ("source", "author", "lang", "outlet", "section", "article_id")
# The writer's memory for documents before it flushes a segment; one article needs far less.
_WRITER_HEAP = 50_000_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("row", indexed=True, fast=True)
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    builder.add_integer_field("published_day", indexed=True, fast=True)
    for name in _TEXT_FILTERS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return builder.build()


def _clauses(schema: tantivy.Schema, filters: Filters | None) -> list[tuple[Occur, Query]]:
    """Filters (`Filters.conditions`) as clauses that select and do not score; a date's two bounds make one range
    (two half-open ranges would each take half the store)."""
    clauses, bounds = [], {}
    for name, operator, value in filters.conditions() if filters else []:
        if operator in ("$gte", "$lte"):
            bounds[operator] = value
        elif name in _TEXT_FILTERS:
            query = Query.term_set_query(schema, name, list(value))
            clauses.append((Occur.MustNot if operator == "$nin" else Occur.Must, Query.const_score_query(query, 0.0)))
        else:
            raise ValueError(f"no filter on {name!r}")
    if bounds:
        # By the inverted index (the day is indexed): 5.5 ms a question at 1M chunks, against 8.1 by fast field.
        days = Query.range_query(
            schema, "published_day", FieldType.Integer, bounds.get("$gte"), bounds.get("$lte"), use_inverted_index=True
        )
        clauses.append((Occur.Must, Query.const_score_query(days, 0.0)))
    return clauses


class BM25Index:
    """One store's Tantivy index, in a folder beside the ledger; searches are safe from any thread."""

    def __init__(self, path: Path):
        path.mkdir(parents=True, exist_ok=True)
        self._meta = path / "meta.json"
        self._index = tantivy.Index(_schema(), path=str(path))
        # Reloaded by `_searcher` when another process (or this one) has committed, not by a polling thread.
        self._index.config_reader(reload_policy="manual")
        self._schema = self._index.schema
        self._loaded = self._meta.read_bytes()

    def _searcher(self) -> tantivy.Searcher:
        # Every commit writes a new meta.json (its segments and a growing opstamp): reading it per question (a few
        # KB) tells exactly whether there is a commit to load, where its modification time can repeat within a
        # clock tick.
        committed = self._meta.read_bytes()
        if committed != self._loaded:
            self._index.reload()
            self._loaded = committed
        return self._index.searcher()

    def __len__(self) -> int:
        return self._searcher().num_docs

    def search(self, asked: list[str], k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """The k best (ledger row, BM25 score) pairs for chunks that hold any of the `asked` terms and pass
        `filters`, best first."""
        if not asked:
            return []
        terms = Query.boolean_query(
            [(Occur.Should, Query.term_query(self._schema, "body", term, index_option="freq")) for term in asked]
        )
        clauses = _clauses(self._schema, filters)
        query = Query.boolean_query([(Occur.Must, terms), *clauses]) if clauses else terms
        searcher = self._searcher()
        hits = searcher.search(query, k, count=False).hits
        rows = searcher.fast_field_values("row", [address for _, address in hits])
        return [(int(row), float(score)) for row, (score, _) in zip(rows, hits)]

    def rows_of(self, article_id: str) -> int:
        """How many documents the index holds for an article (a consistency check)."""
        found = self._searcher().search(Query.term_query(self._schema, "article_id", article_id), 1, count=True)
        return found.count

    def replay(self, changed: list[int], rows: dict[int, tuple[tuple, str]]) -> None:
        """Make the index hold, for each `changed` row, what the ledger holds now: the row's fields and terms from
        `rows`, or nothing when the ledger no longer has it. Committed at once; the caller holds the store's
        writer lock."""
        writer = self._index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        # Documents added after this delete survive it: Tantivy applies a delete to what was added before it.
        # (By query: `delete_documents_by_term` takes a Python int for a signed term, and deletes nothing here.)
        writer.delete_documents_by_query(Query.term_set_query(self._schema, "row", changed))
        for row in changed:
            if row in rows:
                (day, *texts), body = rows[row]
                document = tantivy.Document()
                document.add_unsigned("row", row)
                document.add_text("body", body)
                document.add_integer("published_day", day)
                for name, text in zip(_TEXT_FILTERS, texts):
                    document.add_text(name, text)
                writer.add_document(document)
        writer.commit()
        # Merges run in the writer's threads; waiting for them lets the next writer (maybe another process) start.
        writer.wait_merging_threads()
