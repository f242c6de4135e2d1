"""Ingesting from the web: pages are fetched and extracted by a few threads while earlier ones are embedded,
and handed to the pipeline in small batches, so a stop request leaves only whole articles behind."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from errors import InputError
from ingest.chunker import Chunker
from ingest.extract import page_article
from ingest.fetch import PAGE_TYPES, Fetcher
from ingest.pipeline import IngestReport, ingest_articles
from records import Article
from settings import Settings
from vectorstore.store import ChunkStore

# Articles per call to the pipeline: small enough that a stop request waits for little, large enough that the
# model embeds full batches (an article is several chunks and their sentences).
_BATCH = 16


@dataclass(frozen=True)
class Item:
    """One thing to ingest from the web: a page to fetch, or an article a feed already carries in full.
    `defaults` fills what the page itself does not say (a feed item's title, author, date)."""

    url: str
    source: str
    outlet: str = ""
    article: Article | None = None
    defaults: tuple[tuple[str, str], ...] = ()
    key: str = ""  # how its feed names it (GUID or link)


def load(item: Item, fetcher: Fetcher) -> Article:
    """The item's article: carried by its feed, or fetched and extracted from its page."""
    if item.article is not None:
        return item.article
    fetched = fetcher.get(item.url, PAGE_TYPES)
    article = page_article(fetched.text(), fetched.url, source=item.source, outlet=item.outlet)
    missing = {name: value for name, value in item.defaults if value and not getattr(article, name)}
    return replace(article, **missing) if missing else article


def ingest_items(
    items: Iterable[Item],
    fetcher: Fetcher,
    settings: Settings,
    store: ChunkStore,
    report: IngestReport,
    stop: threading.Event | None = None,
    loader: Callable[[Item, Fetcher], Article] = load,
) -> list[tuple[Item, Article]]:
    """Fetch, extract and store the items; errors go to the report. Returns the items now in the store (added,
    updated or unchanged), with their articles. An item whose article another item already gave is not stored
    twice; once `stop` is set, no further article is started."""
    chunker = Chunker(store.embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    stored: list[tuple[Item, Article]] = []
    batch: list[tuple[Item, Article]] = []
    ids: set[str] = set()

    def flush() -> None:
        unique = list({article.id: article for _, article in batch if article.id not in ids}.values())
        ingest_articles(unique, store, chunker, report)
        ids.update(article.id for article in unique)
        stored.extend(batch)
        batch.clear()

    def attempt(item: Item) -> Article | InputError:
        if stop is not None and stop.is_set():
            return InputError(item.url, "not fetched: stopping")
        try:
            return loader(item, fetcher)
        except InputError as error:
            return error

    items = list(items)
    with ThreadPoolExecutor(settings.fetch_workers, thread_name_prefix="fetch") as pool:
        for item, result in zip(items, pool.map(attempt, items)):
            if stop is not None and stop.is_set():
                pool.shutdown(cancel_futures=True)
                break
            if isinstance(result, InputError):
                report.errors.append(result)
                continue
            batch.append((item, result))
            if len(batch) >= _BATCH:
                flush()
        if batch and not (stop is not None and stop.is_set()):
            flush()
    return stored
