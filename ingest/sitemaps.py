"""Sitemaps, news sitemaps and sitemap indexes: the pages they list (published since a date), as Items, and
which of them were already stored at their last change (kept beside the feeds' items, ingest/state.py).
Parsed with defusedxml, so a sitemap that declares entities is refused rather than expanded."""

from __future__ import annotations

import gzip

from errors import InputError
from ingest.fetch import XML_TYPES, Fetcher
from ingest.remote import Item, WebIngest
from ingest.state import FeedState
from records import day_number

_SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# An index may list indexes; real sites nest one level, and a deeper chain is more likely a loop.
_MAX_DEPTH = 2


def _parse(content: bytes, url: str):
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    if content[:2] == b"\x1f\x8b":  # sitemap.xml.gz served as a file, not as Content-Encoding
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError):
            raise InputError(url, "not a readable gzip file") from None
    try:
        return fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise InputError(url, "the sitemap declares a DTD or entities, which Sanad does not expand") from None
    except ParseError as error:
        raise InputError(url, f"not a readable sitemap: {error}") from None


def sitemap_items(url: str, fetcher: Fetcher, since: str = "", errors: list[InputError] | None = None,
                  depth: int = 0) -> list[Item]:
    """The pages a sitemap (or index) lists, each once; with `since`, only those dated on or after it (by
    `news:publication_date`, else `lastmod`; undated pages are left out). A child sitemap that fails is an
    error in `errors`, and the others are still read; the sitemap asked for failing raises InputError."""
    errors = [] if errors is None else errors
    root = _parse(fetcher.get(url, XML_TYPES).content, url)
    floor = day_number(since) if since else 0
    items: dict[str, Item] = {}
    if root.tag == f"{_SITEMAP}sitemapindex":
        for child in root.iter(f"{_SITEMAP}sitemap"):
            loc = (child.findtext(f"{_SITEMAP}loc") or "").strip()
            lastmod = (child.findtext(f"{_SITEMAP}lastmod") or "").strip()
            if not loc or (floor and lastmod and day_number(lastmod) < floor):
                continue
            if depth >= _MAX_DEPTH:
                errors.append(InputError(loc, "sitemap indexes nested too deep"))
                continue
            try:
                for item in sitemap_items(loc, fetcher, since, errors, depth + 1):
                    items.setdefault(item.url, item)
            except InputError as error:
                errors.append(error)
        return list(items.values())
    if root.tag != f"{_SITEMAP}urlset":
        raise InputError(url, "not a sitemap (expected <urlset> or <sitemapindex>)")
    for entry in root.iter(f"{_SITEMAP}url"):
        loc = (entry.findtext(f"{_SITEMAP}loc") or "").strip()
        news = entry.find(f"{_NEWS}news")
        published = (news.findtext(f"{_NEWS}publication_date") or "").strip() if news is not None else ""
        lastmod = (entry.findtext(f"{_SITEMAP}lastmod") or "").strip()
        dated = published or lastmod
        if not loc or (floor and day_number(dated) < floor):
            continue
        outlet = (news.findtext(f"{_NEWS}publication/{_NEWS}name") or "").strip() if news is not None else ""
        title = (news.findtext(f"{_NEWS}title") or "").strip() if news is not None else ""
        defaults = (("title", title), ("published", published))
        # Remembered by address and last change: a page the sitemap says has changed is read again.
        key = f"{loc} {lastmod or published}".strip()
        items.setdefault(loc, Item(url=loc, source=url, outlet=outlet, defaults=defaults, key=key))
    return list(items.values())


def unseen(items: list[Item], state: FeedState) -> list[Item]:
    """The pages not stored from their sitemap before, at their last change: a sitemap read again fetches only
    new and changed pages, as a feed does."""
    seen: set[tuple[str, str]] = set()
    for source in {item.source for item in items}:
        keys = [item.key for item in items if item.source == source]
        seen |= {(source, key) for key in state.seen(source, keys)}
    return [item for item in items if (item.source, item.key) not in seen]


def remember(done: WebIngest, state: FeedState) -> None:
    """Mark the pages stored from sitemaps (their own, or a copy kept as an alternate source) as read."""
    from_sitemaps = [(item, article) for item, article in done.stored if item.source != item.url]
    for source in {item.source for item, _ in from_sitemaps}:
        state.remember(source, {item.key: article.id for item, article in from_sitemaps if item.source == source})
