"""A fetched web page as an Article: main text, title, author, date, language, canonical URL and outlet
(trafilatura; htmldate when the page hides its date)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from analysis import guess_language
from errors import InputError
from records import Article

# Less main text than this is a menu, a cookie notice or an error message, not an article; a news brief is longer.
_MIN_TEXT_CHARS = 100
_HTML_LANG = re.compile(r"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z]{2,3})", re.I)


def _canonical(found: str, fetched: str) -> str:
    """The page's canonical URL when it is a page of the same site; some sites point every page at their
    home page, which would make all their articles one."""
    if not found or not found.startswith(("http://", "https://")):
        return fetched
    canonical, page = urlsplit(found), urlsplit(fetched)
    same_site = canonical.hostname and page.hostname and (
        canonical.hostname.removeprefix("www.") == page.hostname.removeprefix("www.")
    )
    return found if same_site and canonical.path.strip("/") else fetched


def site_name(url: str) -> str:
    """A site's host name without "www.", the outlet's name when nothing better is known."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def _outlet(found: str, url: str) -> str:
    """The site's name as the page gives it (og:site_name and the like); trafilatura falls back to the host,
    which a feed's title beats."""
    host = urlsplit(url)
    return "" if found.strip().removeprefix("www.") in {host.netloc.removeprefix("www."), site_name(url)} else found.strip()


def page_article(html: str, url: str, source: str = "", outlet: str = "") -> Article:
    """The article on a page: `url` is where it was fetched, `source` what was asked for (a page, a feed, a
    sitemap), `outlet` a name to use when the page gives none (a feed's title)."""
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        raise InputError(url, "no article text found on the page")
    title = (document.title or "").strip()
    lines = [line.strip() for line in document.text.split("\n") if line.strip()]
    if lines and lines[0] == title:
        lines = lines[1:]  # the headline, repeated as the text's first line
    text = "\n\n".join(lines)
    if len(text) < _MIN_TEXT_CHARS:
        raise InputError(url, "no article text found on the page")
    published = document.date or ""
    if not published:
        from htmldate import find_date

        published = find_date(html, url=url, extensive_search=True) or ""
    canonical = _canonical(document.url or "", url)
    found_lang = _HTML_LANG.search(html[:4096])
    return Article(
        id=canonical, title=title, text=text, source=source or url, author=(document.author or "").strip(),
        published=published, url=canonical, lang=found_lang.group(1).lower()[:2] if found_lang else guess_language(text),
        outlet=_outlet(document.sitename or "", canonical) or outlet or site_name(canonical),
        section=(document.categories or [""])[0].strip() if document.categories else "",
    )
