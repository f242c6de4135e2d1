"""`python -m ingest watch FEEDS_FILE --every 10m`: poll every feed in turn, ingest new items, one line per poll
per feed; a failing feed waits longer each time (doubling, capped) while the others go on; a stop request
(Ctrl+C, SIGTERM) ends the watch between articles."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from errors import InputError
from ingest.feeds import poll_feed
from ingest.fetch import Fetcher, check_url, url_lines
from ingest.pipeline import IngestReport
from ingest.state import FeedState
from settings import Settings
from vectorstore.store import ChunkStore

# However long a feed has failed, it is tried again at least this often (or every poll, if polls are rarer).
BACKOFF_CAP_SECONDS = 6 * 3600
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in "90", "30s", "10m" or "2h"; an InputError otherwise."""
    found = _DURATION.match(text)
    if not found or float(found.group(1)) <= 0:
        raise InputError("--every", f"{text!r} is not a duration like 30s, 10m or 1h")
    return float(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[found.group(2)]


def read_feeds_file(path: Path) -> list[str]:
    """The feed URLs in a file, one a line; blank lines and lines starting with # are left out."""
    feeds = []
    for number, line in url_lines(path, "feeds file"):
        try:
            feeds.append(check_url(line))
        except InputError as error:
            raise InputError(str(path), str(error), number) from None
    if not feeds:
        raise InputError(str(path), "no feed URL in the file")
    return list(dict.fromkeys(feeds))


class Watcher:
    """Polls feeds until stopped; `say` gets one line per poll per feed, `warn` one line per failure."""

    def __init__(self, feeds: list[str], every: float, settings: Settings, store: ChunkStore,
                 say: Callable[[str], None] = lambda line: print(line, flush=True),
                 warn: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)):
        self.feeds, self.every, self.settings, self.store = feeds, every, settings, store
        self.say, self.warn = say, warn
        self.stop = threading.Event()
        self.failures = {feed: 0 for feed in feeds}
        self.due = {feed: 0.0 for feed in feeds}

    def delay(self, feed: str) -> float:
        """Seconds until the feed's next poll: the interval, doubled for each failure in a row, capped."""
        return min(self.every * 2 ** self.failures[feed], max(self.every, BACKOFF_CAP_SECONDS))

    def run(self) -> None:
        """Poll each feed when it is due, until `stop` is set."""
        state = FeedState(self.settings.data_dir)
        try:
            with Fetcher(self.settings) as fetcher:
                while not self.stop.is_set():
                    for feed in self.feeds:
                        if self.stop.is_set():
                            break
                        if time.monotonic() >= self.due[feed]:
                            self.poll(feed, fetcher, state)
                    wait = min(self.due.values()) - time.monotonic()
                    self.stop.wait(max(wait, 0.05))
        finally:
            state.close()

    def poll(self, feed: str, fetcher: Fetcher, state: FeedState) -> None:
        """Poll one feed, say how it went and schedule its next poll."""
        started = time.monotonic()
        report = IngestReport()
        try:
            poll = poll_feed(feed, fetcher, state, self.settings, self.store, report, self.stop)
        except InputError as error:
            self.failures[feed] += 1
            self.warn(f"error: {error}")
            self.say(f"{feed}: failed ({self.failures[feed]} in a row), next try in {self.delay(feed):.0f}s")
        else:
            self.failures[feed] = 0
            for error in report.errors:
                self.warn(f"error: {error}")
            self.say(poll.line(len(report.errors), time.monotonic() - started))
        self.due[feed] = time.monotonic() + self.delay(feed)
