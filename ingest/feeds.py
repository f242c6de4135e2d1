"""RSS 2.0, RSS 1.0 and Atom feeds: fetched with our own client (limits, robots.txt, conditional GET), parsed
by feedparser from bytes, each new item's page fetched (or its full content used), items remembered by GUID or
link so that a re-poll stores nothing twice."""

from __future__ import annotations

import hashlib
import html
import threading
import time
from dataclasses import dataclass

from analysis import guess_language
from errors import InputError
from ingest.fetch import XML_TYPES, Fetched, Fetcher
from ingest.pipeline import IngestReport
from ingest.readers import html_text
from ingest.remote import Item, ingest_items
from ingest.state import FeedState
from records import Article
from settings import Settings
from vectorstore.store import ChunkStore

# A feed's own content is used instead of the page when it is at least this long as text: shorter content is
# a teaser, and the page holds the article.
_FULL_CONTENT_CHARS = 300


def refuse_entities(content: bytes, url: str) -> None:
    """Refuse XML that declares entities (billion laughs, external entities) before any parser expands them."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        fromstring(content, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InputError(url, "the XML declares entities, which Sanad does not expand") from None
    except ParseError:
        pass  # not well-formed: feedparser's tolerant parser reads what it can, and expands no declared entity


def _text(value: str, detail: dict | None = None) -> str:
    """A feed's title or name as plain text, whether the feed sent it as text or as HTML."""
    if detail and "html" in detail.get("type", ""):
        value = html_text(value)
    return " ".join(html.unescape(value).split())


def _date(entry: dict) -> str:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", parsed) if parsed else ""


def _item(entry: dict, feed_url: str, outlet: str) -> Item | None:
    """The item to ingest for a feed entry; None for an entry with neither link nor content."""
    link = entry.get("link", "").strip()
    title = _text(entry.get("title", ""), entry.get("title_detail"))
    content = max((c.get("value", "") for c in entry.get("content", [])), key=len, default="")
    text = html_text(content) if content else ""
    key = entry.get("id") or link or hashlib.sha256((title + text).encode()).hexdigest()[:16]
    author = _text(entry.get("author", ""))
    defaults = (("title", title), ("author", author), ("published", _date(entry)))
    article = None
    if len(text) >= _FULL_CONTENT_CHARS or (text and not link):
        article = Article(
            id=link or key, title=title, text=text, source=feed_url, author=author, published=_date(entry),
            url=link, lang=entry.get("language", "")[:2] or guess_language(text), outlet=outlet,
        )
    elif not link:
        return None
    return Item(url=link or key, source=feed_url, outlet=outlet, article=article, defaults=defaults, key=key)


def parse_feed(fetched: Fetched, url: str) -> tuple[str, list[Item]]:
    """The feed's title and its items, each once; a broken feed is an InputError."""
    import feedparser

    refuse_entities(fetched.content, url)
    headers = {"content-type": fetched.content_type + (f"; charset={fetched.charset}" if fetched.charset else "")}
    parsed = feedparser.parse(fetched.content, response_headers=headers, sanitize_html=True)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no RSS or Atom found"
        raise InputError(url, f"not a readable feed: {str(problem).splitlines()[0]}")
    title = _text(parsed.feed.get("title", ""), parsed.feed.get("title_detail"))
    items: dict[str, Item] = {}
    for entry in parsed.entries:
        item = _item(entry, url, title)
        if item is not None:
            items.setdefault(item.key, item)  # a feed that repeats an item lists it once here
    return title, list(items.values())


@dataclass
class FeedPoll:
    """What one poll of one feed did."""

    feed: str
    items: int = 0
    new: int = 0
    stored: int = 0
    not_modified: bool = False
    alternates: int = 0  # near-duplicates of stored articles, kept as their alternate sources

    def line(self, failed: int, seconds: float) -> str:
        """The one line the watcher prints for this poll."""
        if self.not_modified:
            return f"{self.feed}: not modified ({seconds:.1f}s)"
        copies = f", {self.alternates} near-duplicates" if self.alternates else ""
        return f"{self.feed}: {self.items} items, {self.new} new, {self.stored} stored{copies}, {failed} failed ({seconds:.1f}s)"


def poll_feed(
    url: str, fetcher: Fetcher, state: FeedState, settings: Settings, store: ChunkStore,
    report: IngestReport, stop: threading.Event | None = None,
) -> FeedPoll:
    """Read a feed and ingest its new items. The feed's validators are kept only once every item is stored,
    so an item that failed is tried again at the next poll. Raises InputError when the feed itself fails."""
    poll = FeedPoll(url)
    etag, last_modified = state.validators(url)
    fetched = fetcher.get(url, XML_TYPES, etag, last_modified)
    if fetched.not_modified:
        poll.not_modified = True
        return poll
    title, items = parse_feed(fetched, url)
    seen = state.seen(url, [item.key for item in items])
    new = [item for item in items if item.key not in seen]
    poll.items, poll.new = len(items), len(new)
    done = ingest_items(new, fetcher, settings, store, report, stop)
    state.remember(url, {item.key: article.id for item, article in done.stored})
    poll.stored, poll.alternates = len(done.stored) - len(done.alternates), len(done.alternates)
    if len(done.stored) == len(new):
        state.read_with(url, fetched.etag, fetched.last_modified, title)
    return poll
