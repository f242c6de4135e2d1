"""What the feed poller remembers between runs, in one SQLite file under the data directory: each feed's
validators (ETag, Last-Modified) and the items already stored, by GUID or link. SQLite's transactions make
every write atomic, and several processes may share the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = """
create table if not exists feeds (url text primary key, etag text not null default '',
    last_modified text not null default '', title text not null default '');
create table if not exists items (feed text not null, key text not null, article_id text not null,
    primary key (feed, key));
"""


class FeedState:
    """Validators and seen items per feed."""

    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(data_dir / "feeds.sqlite3", timeout=30, check_same_thread=False)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self.db.close()

    def validators(self, feed: str) -> tuple[str, str]:
        """The ETag and Last-Modified the feed was last read with, for a conditional GET."""
        row = self.db.execute("select etag, last_modified from feeds where url = ?", (feed,)).fetchone()
        return row or ("", "")

    def seen(self, feed: str, keys: list[str]) -> set[str]:
        """Which of these item keys are already stored for the feed."""
        found = set()
        for at in range(0, len(keys), 500):
            batch = keys[at : at + 500]
            marks = ",".join("?" * len(batch))
            rows = self.db.execute(f"select key from items where feed = ? and key in ({marks})", (feed, *batch))
            found.update(key for (key,) in rows)
        return found

    def remember(self, feed: str, items: dict[str, str]) -> None:
        """Mark items (key → article id) as stored."""
        with self.db:
            self.db.executemany(
                "insert or replace into items (feed, key, article_id) values (?, ?, ?)",
                [(feed, key, article_id) for key, article_id in items.items()],
            )

    def read_with(self, feed: str, etag: str, last_modified: str, title: str) -> None:
        """Keep the validators of a feed whose every item is now stored, so the next poll can be a 304."""
        with self.db:
            self.db.execute(
                "insert or replace into feeds (url, etag, last_modified, title) values (?, ?, ?, ?)",
                (feed, etag, last_modified, title),
            )
