"""Fetching and extracting pages from the local site: what is read, and every way a fetch fails (one InputError
naming the URL)."""

import time

import pytest

from errors import InputError
from ingest.extract import page_article
from ingest.fetch import PAGE_TYPES, Fetcher
from tests.ingest.site import HARVEST, MUSEUM, WATER, endless, page, redirect, slow


def fetch_article(settings, url):
    with Fetcher(settings) as fetcher:
        fetched = fetcher.get(url, PAGE_TYPES)
        return page_article(fetched.text(), fetched.url, source=url)


def test_arabic_page_main_text_and_metadata(site, web_settings):
    url = site.add("/ar/water?utm_source=feed", page(WATER, site="الجريدة اليومية", canonical=site.base + "/ar/water"))
    article = fetch_article(web_settings, url)
    assert (article.title, article.author, article.published, article.lang, article.outlet) == (
        WATER["title"], "سلمى حداد", "2026-03-14", "ar", "الجريدة اليومية",
    )
    assert article.id == article.url == site.base + "/ar/water"  # the canonical URL, not the one with tracking
    assert article.text == "\n\n".join(WATER["paragraphs"])  # no menu, footer or script
    assert article.source == url


def test_canonical_pointing_at_the_home_page_is_ignored(site, web_settings):
    url = site.add("/ar/water", page(WATER, canonical=site.base + "/"))
    assert fetch_article(web_settings, url).id == url


@pytest.mark.parametrize("encoding, declared, meta", [
    ("cp1256", "text/html; charset=windows-1256", True),  # the HTTP header says it
    ("iso-8859-6", "text/html", True),  # only <meta charset> says it
    ("cp1256", "text/html", False),  # nothing says it: detected
    ("cp1256", "text/html; charset=utf-8", False),  # the header is wrong: detected
])
def test_arabic_legacy_charsets(site, web_settings, encoding, declared, meta):
    charset = {"cp1256": "windows-1256"}.get(encoding, encoding)
    url = site.add("/ar/harvest", page(HARVEST, charset=charset, meta_charset=meta).encode(encoding), declared)
    article = fetch_article(web_settings, url)
    assert article.title == HARVEST["title"] and article.text == "\n\n".join(HARVEST["paragraphs"])


def test_english_page_with_its_date_only_in_the_text(site, web_settings):
    article = fetch_article(web_settings, site.add("/en/museum", page(MUSEUM, lang="en")))
    assert (article.published, article.lang, article.author) == ("2026-03-03", "en", "Leila Mansour")
    assert article.outlet == "127.0.0.1"  # no site name on the page: the host


def expect_error(settings, url, message):
    with pytest.raises(InputError) as raised:
        fetch_article(settings, url)
    assert str(raised.value).startswith(url + ": ") and message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("path, route, message", [
    ("/missing", None, "HTTP 404 Not Found"),
    ("/broken", ("oops", "text/html", 500), "HTTP 500"),
    ("/doc.pdf", (b"%PDF-1.4 ...", "application/pdf", 200), "the server sent application/pdf"),
    ("/photo.png", (b"\x89PNG\r\n", "image/png", 200), "the server sent image/png"),
    ("/empty", ("<html><body><nav><a href='/'>Home</a></nav></body></html>", "text/html", 200), "no article text"),
    ("/private/memo", (page(WATER), "text/html", 200), "robots.txt does not allow"),
])
def test_each_failure_is_one_error_naming_the_url(site, web_settings, path, route, message):
    if route:
        body, kind, status = route
        site.add(path, body, kind, status)
    expect_error(web_settings, site.base + path, message)


def test_a_read_that_times_out(site, web_settings):
    site.routes["/slow"] = slow(3)
    started = time.monotonic()
    expect_error(web_settings, site.base + "/slow", "timed out waiting for the response")
    assert time.monotonic() - started < 2.5


def test_redirects_are_followed_up_to_five(site, web_settings):
    site.add("/ar/water", page(WATER))
    for hop in range(5):
        site.routes[f"/hop{hop}"] = redirect(f"/hop{hop + 1}" if hop < 4 else "/ar/water")
    assert fetch_article(web_settings, site.base + "/hop0").url == site.base + "/ar/water"
    site.routes["/loop"] = redirect("/loop-back")
    site.routes["/loop-back"] = redirect("/loop")
    expect_error(web_settings, site.base + "/loop", "more than 5 redirects")


def test_a_huge_page_is_refused_by_its_declared_size(site, web_settings):
    def declared(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(50 << 20))
        handler.end_headers()
    site.routes["/huge"] = declared
    expect_error(web_settings, site.base + "/huge", "larger than the 2,000,000-byte limit (52,428,800 bytes)")


def test_a_huge_page_without_a_length_is_never_read_whole(site, web_settings):
    site.routes["/endless"] = endless(site, "/endless")
    expect_error(web_settings, site.base + "/endless", "larger than the 2,000,000-byte limit (stopped reading)")
    time.sleep(0.2)
    assert site.sent["/endless"] < 20 << 20  # the server stopped long before its 60 MB


@pytest.mark.parametrize("url, message", [
    ("ftp://example.org/file", "not a web address"),
    ("http//missing-colon", "not a web address"),
    ("https://", "not a web address"),
])
def test_bad_urls(web_settings, url, message):
    expect_error(web_settings, url, message)


def test_a_redirect_cannot_lead_around_robots_txt(site, web_settings):
    site.add("/private/memo", page(WATER))
    site.routes["/open"] = redirect("/private/memo")
    message = f"robots.txt does not allow Sanad to fetch this page (redirected to {site.base}/private/memo)"
    expect_error(web_settings, site.base + "/open", message)
    assert "/private/memo" not in site.hits


def test_robots_txt_is_read_once_per_site_and_names_our_agent(site, web_settings):
    site.add("/robots.txt", "User-agent: Sanad\nDisallow: /ar/\n\nUser-agent: *\nDisallow:\n", "text/plain")
    site.add("/ar/water", page(WATER))
    site.add("/en/museum", page(MUSEUM, lang="en"))
    with Fetcher(web_settings) as fetcher:
        assert not fetcher.allowed(site.base + "/ar/water") and fetcher.allowed(site.base + "/en/museum")
        fetcher.get(site.base + "/en/museum", PAGE_TYPES)
    assert site.hits["/robots.txt"] == 1


def test_a_site_without_robots_txt_may_be_fetched(site, web_settings):
    del site.routes["/robots.txt"]
    url = site.add("/ar/water", page(WATER))
    assert fetch_article(web_settings, url).title == WATER["title"]
