"""`python -m ingest PATH|URL... [--urls FILE] [--feed URL] [--sitemap URL --since DATE] [--db DIR]`: add articles
to the store; exit 1 if any input failed. Also `watch FEEDS_FILE --every 10m`, `list`, `delete` and `check`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

from errors import InputError, SanadError
from settings import load_settings


def _store(settings):
    from vectorstore.embedder import Embedder
    from vectorstore.store import ChunkStore

    return ChunkStore(settings, Embedder(settings))


def _web_address(text: str) -> bool:
    return "://" in text or text.lower().startswith(("http:", "https:", "www."))


def ingest(argv: list[str]) -> int:
    """Files, folders, pages, feeds and sitemaps, in one run with one summary line."""
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Add articles to Sanad's store.")
    parser.add_argument("inputs", nargs="*", help="files or folders (.txt .md .html .json .jsonl) and page URLs")
    parser.add_argument("--urls", type=Path, help="a file of page URLs, one a line")
    parser.add_argument("--feed", action="append", default=[], help="an RSS or Atom feed URL (repeatable)")
    parser.add_argument("--sitemap", action="append", default=[], help="a sitemap or sitemap index URL (repeatable)")
    parser.add_argument("--since", default="", help="with --sitemap: only pages published on or after this date")
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    if not (args.inputs or args.urls or args.feed or args.sitemap):
        parser.error("give files, folders, URLs, --urls, --feed or --sitemap")
    started = time.perf_counter()
    try:
        settings = load_settings(data_dir=args.db)
        from ingest.feeds import poll_feed
        from ingest.fetch import Fetcher, url_lines
        from ingest.manage import since_day
        from ingest.pipeline import IngestReport, ingest_paths
        from ingest.remote import Item, ingest_items
        from ingest.sitemaps import remember, sitemap_items, unseen
        from ingest.state import FeedState

        since_day(args.since)
        urls = [item for item in args.inputs if _web_address(item)] + [
            url for _, url in (url_lines(args.urls, "URL list") if args.urls else [])
        ]
        paths = [Path(item) for item in args.inputs if not _web_address(item)]
        store = _store(settings)
        report = ingest_paths(paths, settings, store, show_progress=sys.stderr.isatty()) if paths else IngestReport()
        state = FeedState(settings.data_dir)
        with Fetcher(settings) as fetcher:
            items = [Item(url=url, source=url, key=url) for url in dict.fromkeys(urls)]
            for sitemap in args.sitemap:
                try:
                    items += unseen(sitemap_items(sitemap, fetcher, args.since, report.errors), state)
                except InputError as error:
                    report.errors.append(error)
            done = ingest_items(items, fetcher, settings, store, report)
            remember(done, state)
            copies = len(done.alternates)
            for feed in args.feed:
                try:
                    copies += poll_feed(feed, fetcher, state, settings, store, report).alternates
                except InputError as error:
                    report.errors.append(error)
        state.close()
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report.failed = len(report.errors)
    report.seconds = time.perf_counter() - started
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(report.summary())
    if copies:
        print(f"near-duplicates: {copies} pages kept as alternate sources of stored articles, not stored again")
    return 1 if report.errors else 0


def watch(argv: list[str]) -> int:
    """Poll the feeds in a file until Ctrl+C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m ingest watch", description="Poll feeds and ingest new items.")
    parser.add_argument("feeds_file", type=Path, nargs="?", help="feed URLs, one a line (default: SANAD_FEEDS)")
    parser.add_argument("--every", help="how often to poll each feed: 30s, 10m, 1h (default: SANAD_FEEDS_EVERY or 10m)")
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(data_dir=args.db, feeds=args.feeds_file, feeds_every=args.every)
        if settings.feeds is None:
            raise InputError("watch", "name a feeds file (or set SANAD_FEEDS)")
        from ingest.watch import Watcher, read_feeds_file

        watcher = Watcher(read_feeds_file(settings.feeds), settings.feeds_every, settings, _store(settings))
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Stop between articles: the handlers only ask; the article being written is finished first.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: watcher.stop.set())
    print(f"watching {len(watcher.feeds)} feeds every {watcher.every:g}s; Ctrl+C stops", flush=True)
    watcher.run()
    print("stopped", flush=True)
    return 0


def list_articles(argv: list[str]) -> int:
    """One line (or JSON object) per stored article."""
    parser = argparse.ArgumentParser(prog="python -m ingest list", description="List stored articles.")
    parser.add_argument("--source", default="", help="only articles from this file, page, feed or sitemap")
    parser.add_argument("--outlet", default="", help="only articles from this outlet")
    parser.add_argument("--since", default="", help="only articles published on or after this date")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    fields = ("article_id", "title", "outlet", "section", "author", "published", "url", "source", "lang")
    try:
        from ingest.duplicates import NearDuplicates
        from ingest.manage import since_day, stored_articles

        settings = load_settings(data_dir=args.db)
        since_day(args.since)  # a bad date is an error before the model loads
        near = NearDuplicates(settings.data_dir)
        for chunk in stored_articles(_store(settings), args.source, args.since, args.outlet):
            row = {name: value for name, value in asdict(chunk).items() if name in fields}
            if args.json:
                row = {"id": row.pop("article_id"), **row, "alternates": near.alternates(chunk.article_id)}
                print(json.dumps(row, ensure_ascii=False))
            else:
                print("\t".join([chunk.article_id, chunk.published[:10] or "-", chunk.outlet or "-", chunk.title]))
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def delete(argv: list[str]) -> int:
    """Delete articles by id, URL or file, or all from one source."""
    parser = argparse.ArgumentParser(prog="python -m ingest delete", description="Delete stored articles.")
    parser.add_argument("targets", nargs="*", help="article ids, URLs or files")
    parser.add_argument("--source", default="", help="every article from this file, page, feed or sitemap")
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    if not (args.targets or args.source):
        parser.error("name articles to delete, or --source")
    try:
        from ingest.duplicates import NearDuplicates
        from ingest.manage import delete as delete_articles

        settings = load_settings(data_dir=args.db)
        near = NearDuplicates(settings.data_dir)
        articles, chunks, errors = delete_articles(_store(settings), near, args.targets, args.source)
        near.close()
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"deleted {articles} articles ({chunks} chunks)")
    return 1 if errors else 0


def check(argv: list[str]) -> int:
    """Whether the ledger, the lexical index and Chroma agree article by article; exit 1 if not."""
    parser = argparse.ArgumentParser(
        prog="python -m ingest check", description="Check that every stored article is whole in every part of the store."
    )
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    try:
        store = _store(load_settings(data_dir=args.db))
        problems = store.check()
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    total, _ = store.articles(0, 1)
    if problems:
        counted = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        print(f"{counted} in {total} articles: `python -m ingest delete ID`, then ingest it again")
        return 1
    print(f"sound: {total} articles, {store.count()} chunks, each whole in Chroma and in the SQLite file")
    return 0


_COMMANDS = {"watch": watch, "list": list_articles, "delete": delete, "check": check}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; without one, ingest."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in _COMMANDS:
        return _COMMANDS[argv[0]](argv[1:])
    return ingest(argv)


if __name__ == "__main__":
    sys.exit(main())
