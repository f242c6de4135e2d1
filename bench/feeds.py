"""A feed of N items from a local site: ingest wall time next to embedding time alone, and a re-poll of 20
unchanged feeds.

    python bench/feeds.py [ARTICLES_DIR] [--items 100]

Each article of ARTICLES_DIR (read as `python -m ingest` reads it) is served as an HTML page by a local server,
listed in an RSS feed, and ingested through `--feed`'s code path (fetch, extract, chunk, embed, store).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import html
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.chunker import Chunker  # noqa: E402
from ingest.extract import page_article  # noqa: E402
from ingest.feeds import poll_feed  # noqa: E402
from ingest.fetch import PAGE_TYPES, Fetcher  # noqa: E402
from ingest.pipeline import IngestReport, embedded_texts  # noqa: E402
from ingest.readers import read_paths  # noqa: E402
from ingest.state import FeedState  # noqa: E402
from settings import load_settings  # noqa: E402
from tests.ingest.site import Site, page, rss2  # noqa: E402
from vectorstore.embedder import Embedder  # noqa: E402
from vectorstore.store import ChunkStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="?", type=Path, default=Path("samples"))
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--feeds", type=int, default=20, help="unchanged feeds re-polled")
    args = parser.parse_args()

    read = read_paths([args.articles]).articles[: args.items]
    site = Site()
    site.add("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
    for number, article in enumerate(read):
        paragraphs = [p for p in article.text.split("\n") if p.strip()]
        title = article.title or f"{article.outlet} {number}"
        site.add(f"/a/{number}", page({"title": html.unescape(title), "author": article.author,
                                       "date": article.published[:10], "paragraphs": paragraphs}, lang=article.lang or "ar"))
    items = [(f"g{n}", f"{site.base}/a/{n}", f"item {n}") for n in range(len(read))]
    feed = site.add("/feed.xml", rss2(site.base, items), "application/rss+xml")
    for n in range(args.feeds):
        site.add(f"/feeds/{n}.xml", rss2(site.base, items[n : n + 1]), "application/rss+xml")

    with tempfile.TemporaryDirectory() as scratch:
        base = load_settings()
        settings = base.model_copy(update={"data_dir": Path(scratch), "model_dir": base.bundled_model_path.parent})
        store = ChunkStore(settings, Embedder(settings))
        state = FeedState(settings.data_dir)
        with Fetcher(settings) as fetcher:
            # Embedding alone: the same pages' chunks and sentences, extracted beforehand, encoded in one call.
            chunker = Chunker(store.embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
            articles = []
            started = time.perf_counter()
            for _, link, _ in items:
                fetched = fetcher.get(link, PAGE_TYPES)
                articles.append(page_article(fetched.text(), fetched.url))
            extracting = time.perf_counter() - started
            texts = [t for a in articles for t in embedded_texts(chunker.chunk(a))]
            store.embedder.embed_passages(texts[:64])  # warm up
            started = time.perf_counter()
            store.embedder.embed_passages(texts)
            embedding = time.perf_counter() - started

            report = IngestReport()
            started = time.perf_counter()
            poll = poll_feed(feed, fetcher, state, settings, store, report)
            wall = time.perf_counter() - started
            print(f"feed: {poll.items} items, {report.added} added, {len(report.errors)} failed, "
                  f"{report.chunks} chunks, {len(texts)} texts embedded")
            print(f"fetch and extract alone, one at a time: {extracting:.1f}s")
            print(f"embedding alone: {embedding:.1f}s; feed ingest wall time: {wall:.1f}s; "
                  f"embedding / wall: {embedding / wall:.2f}")

            feeds = [f"{site.base}/feeds/{n}.xml" for n in range(args.feeds)]
            for url in feeds:
                poll_feed(url, fetcher, state, settings, store, IngestReport())
            started = time.perf_counter()
            unchanged = [poll_feed(url, fetcher, state, settings, store, IngestReport()).not_modified for url in feeds]
            print(f"re-poll of {len(feeds)} unchanged feeds: {time.perf_counter() - started:.3f}s "
                  f"({sum(unchanged)} answered 304 Not Modified)")
        state.close()
    site.close()


if __name__ == "__main__":
    main()
