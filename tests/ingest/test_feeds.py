"""Feeds (RSS 2.0, RSS 1.0, Atom) and sitemaps from the local site: parsed safely, each item once; polled into a
real store with conditional GET, so a re-poll with nothing new fetches nothing."""

import html

import pytest

from errors import InputError
from ingest.feeds import parse_feed, poll_feed
from ingest.fetch import XML_TYPES, Fetcher
from ingest.pipeline import IngestReport
from ingest.sitemaps import sitemap_items
from ingest.state import FeedState
from tests.ingest.site import BRIDGE, HARVEST, MUSEUM, WATER, page, rss2

RSS1 = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="{base}/"><title>Harbour Times</title><link>{base}/</link><description>news</description></channel>
  <item rdf:about="{base}/en/museum"><title>Museum reopens</title><link>{base}/en/museum</link>
    <dc:creator>Leila Mansour</dc:creator><dc:date>2026-03-03T09:00:00Z</dc:date></item>
</rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Harbour &lt;b&gt;Times&lt;/b&gt;</title>
  <id>urn:harbour</id><updated>2026-07-21T08:00:00Z</updated>
  <entry><id>urn:harbour:bridge</id><title type="html">Old bridge &lt;em&gt;closes&lt;/em&gt; for inspection</title>
    <link href="{base}/en/bridge-not-served"/><updated>2026-07-21T08:00:00Z</updated><author><name>Omar Haddad</name></author>
    <content type="html">{content}</content></entry>
</feed>"""


def feed_from(site, settings, path, body, kind="application/xml"):
    url = site.add(path, body, kind)
    with Fetcher(settings) as fetcher:
        return parse_feed(fetcher.get(url, XML_TYPES), url)


def test_rss2_items_link_to_pages(site, web_settings):
    title, items = feed_from(site, web_settings, "/rss.xml", rss2(site.base, [("g1", f"{site.base}/ar/water", "عنوان")]))
    assert title == "الجريدة اليومية"
    assert [(i.key, i.url, i.article, i.outlet) for i in items] == [("g1", f"{site.base}/ar/water", None, title)]
    assert dict(items[0].defaults)["published"] == "2026-03-14T08:00:00+00:00"


def test_rss1_feed(site, web_settings):
    title, items = feed_from(site, web_settings, "/rss1.rdf", RSS1.format(base=site.base), "application/rdf+xml")
    assert title == "Harbour Times" and [i.url for i in items] == [f"{site.base}/en/museum"]
    assert dict(items[0].defaults)["author"] == "Leila Mansour"


def test_atom_full_content_is_used_and_html_titles_are_kept_as_text(site, web_settings):
    content = html.escape("".join(f"<p>{p}</p>" for p in BRIDGE["paragraphs"]))
    title, items = feed_from(site, web_settings, "/atom.xml", ATOM.format(base=site.base, content=content), "application/atom+xml")
    article = items[0].article
    assert title == "Harbour Times"
    assert (article.title, article.author, article.outlet) == ("Old bridge closes for inspection", "Omar Haddad", "Harbour Times")
    assert article.text == "\n\n".join(BRIDGE["paragraphs"]) and article.published.startswith("2026-07-21")


def test_a_teaser_in_the_feed_is_not_the_article(site, web_settings):
    body = rss2(site.base, [("g1", f"{site.base}/ar/water", "w")]).replace(
        "</title><pubDate>", "</title><description>افتتح الوزير محطة...</description><pubDate>"
    )
    _, items = feed_from(site, web_settings, "/rss.xml", body)
    assert items[0].article is None and items[0].url == f"{site.base}/ar/water"  # its page is fetched


def test_rss_title_with_escaped_html_is_text(site, web_settings):
    body = rss2(site.base, [("g1", f"{site.base}/a", "&lt;b&gt;عاجل:&lt;/b&gt; افتتاح المحطة")])
    _, items = feed_from(site, web_settings, "/rss.xml", body)
    assert dict(items[0].defaults)["title"] == "عاجل: افتتاح المحطة"


def test_a_feed_that_repeats_items_lists_each_once(site, web_settings):
    link = f"{site.base}/ar/water"
    _, items = feed_from(site, web_settings, "/rss.xml", rss2(site.base, [("g1", link, "a"), ("g1", link, "a"), ("g2", link, "b")]))
    assert [i.key for i in items] == ["g1", "g2"]


@pytest.mark.parametrize("body, message", [
    ("<html><body>This is not a feed at all</body></html>", "not a readable feed"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     "<rss version=\"2.0\"><channel><title>&lol2;</title></channel></rss>", "declares entities"),
])
def test_broken_and_hostile_feeds_are_one_error(site, web_settings, body, message):
    with pytest.raises(InputError) as raised:
        feed_from(site, web_settings, "/bad.xml", body)
    assert str(raised.value).startswith(f"{site.base}/bad.xml: ") and message in str(raised.value)


NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>{base}/ar/water</loc><news:news><news:publication><news:name>الجريدة اليومية</news:name>
    <news:language>ar</news:language></news:publication><news:publication_date>2026-03-14T08:00:00+03:00</news:publication_date>
    <news:title>محطة التحلية</news:title></news:news></url>
  <url><loc>{base}/ar/harvest</loc><lastmod>2026-06-02</lastmod></url>
  <url><loc>{base}/old</loc><lastmod>2020-01-01</lastmod></url>
  <url><loc>{base}/undated</loc></url>
</urlset>"""
INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2026-06-02</lastmod></sitemap>
  <sitemap><loc>{base}/sitemap-2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap>
  <sitemap><loc>{base}/sitemap-gone.xml</loc></sitemap>
</sitemapindex>"""


def test_news_sitemap_index_since_a_date(site, web_settings):
    site.add("/sitemap-news.xml", NEWS_SITEMAP.format(base=site.base), "application/xml")
    index = site.add("/sitemap.xml", INDEX.format(base=site.base), "application/xml")
    errors = []
    with Fetcher(web_settings) as fetcher:
        items = sitemap_items(index, fetcher, "2026-01-01", errors)
    assert [i.url for i in items] == [f"{site.base}/ar/water", f"{site.base}/ar/harvest"]
    assert items[0].outlet == "الجريدة اليومية" and dict(items[0].defaults)["title"] == "محطة التحلية"
    assert [str(e) for e in errors] == [f"{site.base}/sitemap-gone.xml: HTTP 404 Not Found"]
    assert "/sitemap-2019.xml" not in site.hits  # older than --since by its lastmod: not even fetched


def test_sitemap_with_entities_is_refused(site, web_settings):
    url = site.add("/sitemap.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><urlset/>', "application/xml")
    with Fetcher(web_settings) as fetcher, pytest.raises(InputError, match="declares a DTD or entities"):
        sitemap_items(url, fetcher)


@pytest.fixture
def store(store_settings, embedder):
    from vectorstore.store import ChunkStore

    return ChunkStore(store_settings, embedder)


def test_poll_stores_new_items_and_a_repoll_fetches_nothing(site, store_settings, store):
    site.add("/ar/water", page(WATER))
    site.add("/ar/harvest", page(HARVEST))
    site.add("/en/museum", page(MUSEUM, lang="en"))
    items = [("w", f"{site.base}/ar/water", "w"), ("h", f"{site.base}/ar/harvest", "h"), ("w", f"{site.base}/ar/water", "w")]
    feed = site.add("/rss.xml", rss2(site.base, items), "application/rss+xml")
    state = FeedState(store_settings.data_dir)
    with Fetcher(store_settings) as fetcher:
        report = IngestReport()
        first = poll_feed(feed, fetcher, state, store_settings, store, report)
        assert (first.items, first.new, first.stored, report.added, report.errors) == (2, 2, 2, 2, [])
        outlets = {p.chunk.outlet for p in store.search(store.embedder.embed_queries(["محطة التحلية"])[0], k=10)}
        assert outlets == {"الجريدة اليومية"}  # the feed's title: the pages name no site
        pages = dict(site.hits)
        again = poll_feed(feed, fetcher, state, store_settings, store, IngestReport())
        assert again.not_modified and site.hits["/rss.xml"] == pages["/rss.xml"] + 1
        assert {path: n for path, n in site.hits.items() if path != "/rss.xml"} == {
            path: n for path, n in pages.items() if path != "/rss.xml"
        }
        # A new item: only its page is fetched.
        site.add("/rss.xml", rss2(site.base, [*items, ("m", f"{site.base}/en/museum", "m")]), "application/rss+xml")
        report = IngestReport()
        third = poll_feed(feed, fetcher, state, store_settings, store, report)
        assert (third.new, report.added) == (1, 1) and site.hits["/ar/water"] == pages["/ar/water"]
    state.close()


def test_a_failed_item_is_tried_again_at_the_next_poll(site, store_settings, store):
    site.add("/ar/water", page(WATER))
    feed = site.add("/rss.xml", rss2(site.base, [("w", f"{site.base}/ar/water", "w"), ("h", f"{site.base}/ar/harvest", "h")]))
    state = FeedState(store_settings.data_dir)
    with Fetcher(store_settings) as fetcher:
        report = IngestReport()
        poll_feed(feed, fetcher, state, store_settings, store, report)
        assert report.added == 1 and [str(e) for e in report.errors] == [f"{site.base}/ar/harvest: HTTP 404 Not Found"]
        site.add("/ar/harvest", page(HARVEST))
        report = IngestReport()
        again = poll_feed(feed, fetcher, state, store_settings, store, report)
        assert (again.not_modified, again.new, report.added, report.errors) == (False, 1, 1, [])
    state.close()


def test_a_near_duplicate_is_kept_as_an_alternate_source(site, store_settings, store):
    from ingest.duplicates import NearDuplicates
    from ingest.remote import Item, ingest_items

    copy = {**WATER, "paragraphs": ["(وكالات) - " + WATER["paragraphs"][0], WATER["paragraphs"][1].replace("عشرين", "ثلاثين")]}
    urls = [site.add("/ar/water", page(WATER)), site.add("/wire/water-copy", page(copy)), site.add("/ar/harvest", page(HARVEST))]
    report = IngestReport()
    with Fetcher(store_settings) as fetcher:
        done = ingest_items([Item(url=u, source=u) for u in urls], fetcher, store_settings, store, report)
    assert (report.added, report.errors, len(done.stored)) == (2, [], 3)
    assert done.alternates == [(urls[1], urls[0])]
    near = NearDuplicates(store_settings.data_dir)  # remembered for the next run
    assert near.alternates(urls[0]) == [urls[1]] and near.original("new", " ".join(copy["paragraphs"])) == urls[0]
    assert near.original("new", " ".join(MUSEUM["paragraphs"])) is None
    near.close()


def test_a_copy_of_a_deleted_article_is_stored_not_kept_as_its_alternate(site, store_settings, store):
    from ingest.duplicates import NearDuplicates, forget_deleted
    from ingest.remote import Item, ingest_items

    copy = {**WATER, "paragraphs": ["(وكالات) - " + WATER["paragraphs"][0], WATER["paragraphs"][1]]}
    first, second = site.add("/ar/water", page(WATER)), site.add("/wire/water-copy", page(copy))
    with Fetcher(store_settings) as fetcher:
        ingest_items([Item(url=first, source=first)], fetcher, store_settings, store, IngestReport())
        store.delete_article(first)  # deleted by a path that left its signature behind
        report = IngestReport()
        done = ingest_items([Item(url=second, source=second)], fetcher, store_settings, store, report)
    assert (report.added, done.alternates) == (1, [])
    near = NearDuplicates(store_settings.data_dir)
    assert near.original("new", " ".join(WATER["paragraphs"])) == second
    near.add_alternate("https://elsewhere.example/water", second)
    near.close()
    forget_deleted(store_settings.data_dir, second)  # as the API's delete does
    near = NearDuplicates(store_settings.data_dir)
    assert near.alternates(second) == [] and near.original("new", " ".join(WATER["paragraphs"])) is None
    near.close()
