"""Fetching pages, feeds and sitemaps politely and within limits: timeouts, at most 5 redirects, a size cap read
as a stream, content-type checks, robots.txt, a clear User-Agent. Every failure is an InputError naming the URL."""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from errors import InputError
from settings import Settings

MAX_REDIRECTS = 5
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Feeds and sitemaps are often served with a generic type; anything XML-like or plain text is given a try.
XML_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
    "application/x-rss+xml", "application/feed+xml", "text/plain", "text/html", "application/octet-stream",
})
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)


@dataclass(frozen=True)
class Fetched:
    """A response read whole (within the size limit), or a 304 when the caller's validators still hold."""

    url: str  # after redirects
    content: bytes = b""
    content_type: str = ""
    charset: str = ""
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False

    def text(self) -> str:
        """The body as text: the HTTP header's charset, then the page's <meta charset>, then detection
        (Arabic sites still serve windows-1256 and ISO-8859-6)."""
        declared = [self.charset]
        if found := _META_CHARSET.search(self.content[:4096]):
            declared.append(found.group(1).decode("ascii"))
        for name in filter(None, declared):
            try:
                return self.content.decode(codecs.lookup(name).name)
            except (LookupError, UnicodeDecodeError):
                continue
        try:
            return self.content.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        from charset_normalizer import from_bytes

        best = from_bytes(self.content).best()
        if best is None:
            raise InputError(self.url, "cannot tell the page's character encoding")
        return str(best)


def check_url(url: str) -> str:
    """The URL when it is an absolute http(s) address with a host; an InputError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(url, "not a web address (expected http:// or https://)")
    return url.strip()


def url_lines(path: Path, what: str) -> list[tuple[int, str]]:
    """(line number, URL) for each line of a list of URLs; blank lines and lines starting with # are left out."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), f"cannot read the {what}: {getattr(error, 'strerror', None) or error}") from None
    return [(number, line.strip()) for number, line in enumerate(lines, start=1)
            if line.strip() and not line.lstrip().startswith("#")]


class _Forbidden(Exception):
    """robots.txt forbids a URL the client was about to request (the one asked for, or a redirect's target)."""


class Fetcher:
    """One HTTP client for a run: connections and robots.txt rules are kept per site; safe across threads."""

    def __init__(self, settings: Settings):
        self.settings = settings
        timeout = httpx.Timeout(settings.fetch_read_timeout, connect=settings.fetch_connect_timeout)
        self.client = httpx.Client(
            timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": settings.user_agent}, event_hooks={"request": [self._obey_robots]},
        )
        self._robots: dict[str, RobotFileParser] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, types: frozenset[str], etag: str = "", last_modified: str = "") -> Fetched:
        """GET a URL that robots.txt allows, with the caller's validators for a conditional request."""
        url = check_url(url)
        headers = {name: value for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if value}
        return self._read(url, headers, types)

    def _obey_robots(self, request: httpx.Request) -> None:
        # Every request goes through here, redirects included, so a page cannot redirect around robots.txt.
        if request.url.path != "/robots.txt" and not self.allowed(str(request.url)):
            raise _Forbidden(str(request.url))

    def allowed(self, url: str) -> bool:
        """Whether the site's robots.txt lets our User-Agent fetch `url` (read once per site)."""
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            rules = self._robots.get(site)
        if rules is None:
            rules = RobotFileParser(f"{site}/robots.txt")
            try:
                found = self._read(f"{site}/robots.txt", {}, frozenset(), missing_ok=True)
            except InputError:
                # RFC 9309: a robots.txt that cannot be read (server error, timeout) means "do not crawl".
                rules.disallow_all = True
            else:
                if found is None:
                    rules.allow_all = True
                else:
                    rules.parse(found.content.decode("utf-8", "replace").splitlines())
            with self._lock:
                self._robots[site] = rules
        return rules.can_fetch(self.settings.user_agent, url)

    def _read(self, url: str, headers: dict, types: frozenset[str], missing_ok: bool = False) -> Fetched | None:
        limit = self.settings.fetch_max_bytes
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(str(response.url), not_modified=True)
                if missing_ok and response.status_code in (401, 403):
                    raise InputError(url, f"HTTP {response.status_code}")
                if missing_ok and 400 <= response.status_code < 500:
                    return None
                if response.status_code >= 400:
                    raise InputError(url, f"HTTP {response.status_code} {response.reason_phrase}".strip())
                kind, _, params = response.headers.get("content-type", "").partition(";")
                kind = kind.strip().lower()
                if types and kind and kind not in types:
                    raise InputError(url, f"not a web page or feed: the server sent {kind}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise InputError(url, f"larger than the {limit:,}-byte limit ({int(declared):,} bytes)")
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > limit:
                        raise InputError(url, f"larger than the {limit:,}-byte limit (stopped reading)")
                charset = re.search(r"charset\s*=\s*[\"']?([\w:.-]+)", params, re.I)
                return Fetched(
                    str(response.url), bytes(body), kind, charset.group(1) if charset else "",
                    response.headers.get("etag", ""), response.headers.get("last-modified", ""),
                )
        except _Forbidden as forbidden:
            target = "" if str(forbidden) == url else f" (redirected to {forbidden})"
            raise InputError(url, f"robots.txt does not allow Sanad to fetch this page{target}") from None
        except httpx.TooManyRedirects:
            raise InputError(url, f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
        except httpx.TimeoutException as error:
            kind = "connecting" if isinstance(error, httpx.ConnectTimeout) else "waiting for the response"
            raise InputError(url, f"timed out {kind}") from None
        except httpx.InvalidURL as error:
            raise InputError(url, f"not a valid web address: {error}") from None
        except httpx.HTTPError as error:
            raise InputError(url, f"cannot fetch: {error or type(error).__name__}") from None
