"""The BM25 index of the chunks, kept in step with the Chroma collection and saved beside it.

Writes update it in memory; `save` rebuilds the BM25 matrices once and writes them with the revision they
reflect. The same revision is recorded in the collection, so a process whose copy is behind (another machine
wrote to the same Chroma server) can tell, and rebuild from Chroma instead of answering from stale terms.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from analysis import terms
from records import Chunk, Filters

# Filters are judged locally on these fields, as Chroma judges them on its copy.
_FILTER_FIELDS = ("published_day", "source", "author", "lang")


class LexicalIndex:
    """Chunk id → analysed terms, with a bm25s index over them; persisted in `folder`."""

    def __init__(self, folder: Path, load: bool = True):
        self.folder = folder
        self.revision: str | None = None  # never saved: behind any collection, even an empty one
        self._terms: dict[str, list[str]] = {}
        self._fields: dict[str, dict] = {}
        self._ids: list[str] = []
        self._bm25 = None
        self._frequencies: Counter[str] = Counter()
        self._dirty = False
        if load and (folder / "chunks.json").exists():
            self._load()

    def __len__(self) -> int:
        return len(self._terms)

    def sources(self) -> set[str]:
        """Every source that has a chunk in the index."""
        return {fields["source"] for fields in self._fields.values()}

    def language_of(self, chunk_id: str) -> str:
        """The language recorded for a chunk, '' when unknown."""
        return self._fields.get(chunk_id, {}).get("lang", "")

    def document_frequencies(self, wanted: list[str]) -> dict[str, int]:
        """How many indexed chunks hold each analysed term."""
        if self._dirty:
            self._build()
        return {term: self._frequencies[term] for term in wanted}

    def update(self, chunks: list[Chunk]) -> None:
        """Add or replace chunks."""
        for chunk in chunks:
            self._terms[chunk.id] = terms(chunk.searchable_text)
            metadata = chunk.metadata()
            self._fields[chunk.id] = {name: metadata[name] for name in _FILTER_FIELDS}
        self._dirty = True

    def remove(self, chunk_ids) -> None:
        """Forget chunks; unknown ids are ignored."""
        for chunk_id in chunk_ids:
            self._terms.pop(chunk_id, None)
            self._fields.pop(chunk_id, None)
        self._dirty = True

    def replace_all(self, chunks: list[Chunk], revision: str) -> None:
        """Rebuild from a full copy of the collection."""
        self._terms.clear()
        self._fields.clear()
        self.update(chunks)
        self.save(revision)

    def save(self, revision: str) -> None:
        """Rebuild the BM25 matrices and write everything, replacing the old copy only once the new one is whole."""
        self._build()
        self.revision = revision
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.folder.parent, prefix=".lexical-"))
        try:
            (staging / "chunks.json").write_text(
                json.dumps({"revision": revision, "terms": self._terms, "fields": self._fields}, ensure_ascii=False),
                encoding="utf-8",
            )
            if self._bm25 is not None:
                self._bm25.save(str(staging / "bm25"))
            if self.folder.exists():
                shutil.rmtree(self.folder)
            staging.rename(self.folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The k best (chunk id, BM25 score) pairs for `query`, best first; chunks with no query term are left out."""
        if self._dirty:
            self._build()
        query_terms = [t for t in terms(query) if self._bm25 is not None and t in self._bm25.vocab_dict]
        if not query_terms:
            return []
        mask = None
        if filters and filters.conditions():
            mask = np.array([filters.matches(self._fields[i]) for i in self._ids], dtype=np.float32)
        scores = self._bm25.get_scores(query_terms, weight_mask=mask)
        best = np.argsort(-scores, kind="stable")[:k]
        return [(self._ids[i], float(scores[i])) for i in best if scores[i] > 0]

    def _build(self) -> None:
        import bm25s

        self._ids = list(self._terms)
        self._frequencies = Counter(term for counted in self._terms.values() for term in set(counted))
        self._bm25 = None
        if self._ids:
            self._bm25 = bm25s.BM25()
            self._bm25.index([self._terms[i] for i in self._ids], show_progress=False)
        self._dirty = False

    def _load(self) -> None:
        import bm25s

        saved = json.loads((self.folder / "chunks.json").read_text(encoding="utf-8"))
        self.revision, self._terms, self._fields = saved["revision"], saved["terms"], saved["fields"]
        self._ids = list(self._terms)
        self._frequencies = Counter(term for counted in self._terms.values() for term in set(counted))
        if self._ids:
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            self._bm25 = bm25s.BM25.load(str(self.folder / "bm25"))
