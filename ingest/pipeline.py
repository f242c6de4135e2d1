"""Ingestion: read → chunk → embed → store, in batches, skipping articles whose stored version is current."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from errors import InputError
from ingest.chunker import Chunker
from ingest.readers import read_paths
from records import Article, Chunk
from settings import Settings
from vectorstore.store import ChunkStore


@dataclass
class IngestReport:
    """What one ingestion run did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped_files: int = 0
    chunks: int = 0
    seconds: float = 0.0
    errors: list[InputError] = field(default_factory=list)

    def summary(self) -> str:
        """The one line the CLI ends with."""
        skipped = f", {self.skipped_files} files of other kinds skipped" if self.skipped_files else ""
        return (
            f"articles: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.failed} failed; {self.chunks} chunks written in {self.seconds:.1f}s{skipped}"
        )


def embedded_texts(chunks: list[Chunk]) -> list[str]:
    """What the model embeds for an article: its chunks, then their sentences, in order."""
    return [c.searchable_text for c in chunks] + [s.searchable_text for c in chunks for s in c.sentences]


def _unique(articles: list[Article], report: IngestReport) -> list[Article]:
    seen: dict[str, str] = {}
    kept = []
    for article in articles:
        if article.id in seen:
            report.errors.append(InputError(article.source, f"duplicate article id {article.id!r}, also in {seen[article.id]}"))
            continue
        seen[article.id] = article.source
        kept.append(article)
    return kept


def ingest_articles(
    articles: list[Article],
    store: ChunkStore,
    chunker: Chunker,
    report: IngestReport,
    progress: Callable[[int], None] = lambda done: None,
) -> None:
    """Write the new and changed articles, each whole or not at all (see ChunkStore.write_article); an article
    is skipped only when the store holds it complete with the same fingerprint, so a re-run repairs a crash.

    Embedding, the slow part, happens outside any lock: only `write_article` holds the store's writer lock."""
    embedder = store.embedder
    stored = store.versions(a.id for a in articles)
    pending: list[tuple[Article, list[Chunk]]] = []

    def flush() -> None:
        # One encode call for every chunk and sentence of the batch keeps the model's batches full.
        vectors = iter(embedder.embed_passages([t for _, chunks in pending for t in embedded_texts(chunks)]))
        batch = []
        for _, chunks in pending:
            chunk_vectors = np.array([next(vectors) for _ in chunks])
            sentence_vectors = np.array([next(vectors) for c in chunks for _ in c.sentences])
            batch.append((chunks, chunk_vectors, sentence_vectors))
        for (article, chunks), written in zip(pending, store.write_articles(batch)):
            if not written:
                report.unchanged += 1  # another writer (the CLI, the API) stored this version meanwhile
            else:
                report.chunks += len(chunks)
                if article.id in stored:
                    report.updated += 1
                else:
                    report.added += 1
            progress(1)
        pending.clear()

    pending_chunks = 0
    for article in articles:
        previous = stored.get(article.id)
        if previous and previous[0] == article.fingerprint:
            report.unchanged += 1
            progress(1)
            continue
        chunks = chunker.chunk(article)
        pending.append((article, chunks))
        pending_chunks += len(chunks)
        if pending_chunks >= embedder.batch_size * 4:
            flush()
            pending_chunks = 0
    if pending:
        flush()


def ingest_paths(
    paths: list[Path], settings: Settings, store: ChunkStore, show_progress: bool = False
) -> IngestReport:
    """Read every path, then ingest what was read; errors are collected in the report, not raised."""
    started = time.perf_counter()
    report = IngestReport()
    read = read_paths(paths, exclude=[settings.data_dir])
    report.errors.extend(read.errors)
    report.skipped_files = read.skipped
    articles = _unique(read.articles, report)
    chunker = Chunker(store.embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    from tqdm import tqdm

    with tqdm(total=len(articles), unit="article", disable=not show_progress, leave=False) as bar:
        ingest_articles(articles, store, chunker, report, bar.update)
    report.failed = len(report.errors)
    report.seconds = time.perf_counter() - started
    return report
