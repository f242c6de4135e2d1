"""Listing and deleting stored articles, for `python -m ingest list` and `python -m ingest delete`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from errors import InputError
from ingest.duplicates import NearDuplicates
from ingest.readers import stable_id
from records import Chunk, day_number
from vectorstore.store import ChunkStore

_PAGE = 500


def since_day(since: str) -> int:
    """`--since` as a day number (0 when not given); an InputError when it is not a date."""
    if since and not day_number(since):
        raise InputError("--since", f"{since!r} is not a date like 2026-03-14")
    return day_number(since) if since else 0


def stored_articles(store: ChunkStore, source: str = "", since: str = "", outlet: str = "") -> Iterator[Chunk]:
    """Each stored article (as its first chunk, which carries its metadata) from `source` (a file, page, feed
    or sitemap), by `outlet`, and published on or after `since`; empty arguments do not filter."""
    floor = since_day(since)
    offset = 0
    while True:
        total, page = store.articles(offset, _PAGE)
        for chunk in page:
            if source and chunk.source != source:
                continue
            if outlet and chunk.outlet != outlet:
                continue
            if floor and day_number(chunk.published) < floor:
                continue
            yield chunk
        offset += len(page)
        if not page or offset >= total:
            return


def delete(
    store: ChunkStore, near: NearDuplicates, targets: list[str], source: str = ""
) -> tuple[int, int, list[InputError]]:
    """Delete articles named by id, URL or file path, or every article from `source`, with their near-duplicate
    signatures and alternate URLs; returns (articles, chunks, errors), one error per name that matches nothing."""
    ids: list[str] = []
    errors = []
    if source:
        ids += [chunk.article_id for chunk in stored_articles(store, source=source)]
        if not ids:
            errors.append(InputError(source, "no stored article comes from this source"))
    for target in targets:
        # An id as given; a URL or file as the readers name an article from it.
        names = [target, stable_id(target), stable_id(str(Path(target).resolve()))]
        found = next((name for name in names if store.versions([name])), None)
        # A page stored under its canonical URL is also found by the URL it was fetched from (its source).
        sourced = [] if found else [chunk.article_id for chunk in stored_articles(store, source=target)]
        if found is None and not sourced:
            errors.append(InputError(target, "no stored article has this id or URL"))
        ids += [found] if found else sourced
    articles = chunks = 0
    for article_id in dict.fromkeys(ids):
        removed = store.delete_article(article_id)
        near.forget(article_id)
        articles += bool(removed)
        chunks += removed
    if articles:
        store.commit()
    return articles, chunks, errors
