"""The watcher's pieces that need no feed: the poll interval, the feeds file, and how long a failing feed waits."""

import pytest

from errors import ConfigError, InputError
from ingest.watch import BACKOFF_CAP_SECONDS, Watcher, read_feeds_file
from settings import load_settings


@pytest.mark.parametrize("text, seconds", [("90", 90), ("30s", 30), ("10m", 600), ("1.5h", 5400), (None, 600)])
def test_poll_intervals(text, seconds):
    assert load_settings(feeds_every=text).feeds_every == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "0m", "-5s", "5d"])
def test_bad_poll_intervals_are_one_error(text):
    with pytest.raises(ConfigError, match="feeds_every .SANAD_FEEDS_EVERY.: .* is not a duration like 30s, 10m or 1h"):
        load_settings(feeds_every=text)


def test_feeds_file_skips_comments_and_repeats(tmp_path):
    path = tmp_path / "feeds.txt"
    path.write_text("# news\n\nhttps://a.example/rss\n  https://b.example/atom  \nhttps://a.example/rss\n", encoding="utf-8")
    assert read_feeds_file(path) == ["https://a.example/rss", "https://b.example/atom"]


@pytest.mark.parametrize("content, message", [("# nothing\n", "no feed URL in the file"), (b"\xff\xfe\x00", "cannot read")])
def test_bad_feeds_files(tmp_path, content, message):
    path = tmp_path / "feeds.txt"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(InputError, match=message):
        read_feeds_file(path)
    with pytest.raises(InputError, match="cannot read the feeds file"):
        read_feeds_file(tmp_path / "missing.txt")


def test_a_failing_feed_waits_twice_as_long_each_time_up_to_the_cap(web_settings):
    watcher = Watcher(["https://a.example/rss"], 600, web_settings, store=None)
    waits = [watcher.delay(failures) for failures in range(8)]
    assert waits == [600, 1200, 2400, 4800, 9600, 19200, BACKOFF_CAP_SECONDS, BACKOFF_CAP_SECONDS]


def test_a_feed_that_breaks_a_parser_backs_off_and_is_reported(web_settings, monkeypatch):
    def broken(feed, *_):
        raise KeyError("entries")

    monkeypatch.setattr("ingest.watch.poll_feed", broken)
    said, warned = [], []
    watcher = Watcher(["https://a.example/rss"], 60, web_settings, store=None, say=said.append, warn=warned.append)
    for _ in range(2):
        watcher.poll("https://a.example/rss", fetcher=None, state=None)
    assert warned == ["error: https://a.example/rss: KeyError: 'entries'"] * 2
    assert said[-1] == "https://a.example/rss: failed (2 in a row), next try in 240s"
    [feed] = watcher.report()
    assert feed["url"] == "https://a.example/rss" and feed["result"] == said[-1] and feed["failures"] == 2
    assert feed["errors"] == ("https://a.example/rss: KeyError: 'entries'",) and 239 < feed["next_poll_in"] <= 240
