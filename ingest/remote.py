"""Ingesting from the web: pages are fetched and extracted by a few threads while earlier ones are embedded,
and handed to the pipeline in small batches, so a stop request leaves only whole articles behind."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from errors import InputError
from ingest.chunker import Chunker
from ingest.duplicates import NearDuplicates
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


@dataclass
class WebIngest:
    """What ingesting web items did beyond the report: the items now in the store (added, updated, unchanged
    or kept as an alternate source of a near-duplicate), with their articles, and the alternates found."""

    stored: list[tuple[Item, Article]] = field(default_factory=list)
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (URL, id of the article it copies)


def ingest_items(
    items: Iterable[Item],
    fetcher: Fetcher,
    settings: Settings,
    store: ChunkStore,
    report: IngestReport,
    stop: threading.Event | None = None,
) -> WebIngest:
    """Fetch, extract and store the items; errors go to the report. An item whose article another item already
    gave is not stored twice, nor is a near-duplicate of a stored article (its URL becomes an alternate source);
    once `stop` is set, no further article is started."""
    items = list(items)
    if not items:  # a feed with nothing new: no need to load every near-duplicate signature
        return WebIngest()
    chunker = Chunker(store.embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    near = NearDuplicates(settings.data_dir)
    done = WebIngest()
    batch: list[tuple[Item, Article]] = []
    ids: set[str] = set()

    def flush() -> None:
        unique: dict[str, Article] = {}
        for item, article in batch:
            if article.id in ids or article.id in unique:
                continue
            original = near.original(article.id, article.text)
            if original and original not in unique and not store.versions([original]):
                # Deleted since it was indexed (or its ingest was killed): this copy is the story now.
                near.forget(original)
                original = None
            if original:
                near.add_alternate(article.url or item.url, original)
                done.alternates.append((article.url or item.url, original))
                continue
            near.add(article.id, article.text)
            unique[article.id] = article
        ingest_articles(list(unique.values()), store, chunker, report)
        ids.update(unique)
        done.stored.extend(batch)
        batch.clear()

    def attempt(item: Item) -> Article | InputError:
        if stop is not None and stop.is_set():
            return InputError(item.url, "not fetched: stopping")
        try:
            return load(item, fetcher)
        except InputError as error:
            return error

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
    near.close()
    return done
