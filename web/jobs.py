"""Writes that take long, run in the background: `POST /api/articles?background=true` answers at once with a job,
and `GET /api/jobs/{id}` reports it from any app process on the same data folder.

A job's record lives in `DATA_DIR/jobs.sqlite3`, beside the store it writes to; the articles themselves live
only in the memory of the process that took them, which writes its jobs one after another in a worker thread.
While a process holds unfinished jobs it marks them as seen every few seconds: a job that nobody has seen for
a while belonged to a process that stopped, and reads as "interrupted". Sending the same articles again is
safe: what was stored whole is left unchanged, and nothing is stored half (see ChunkStore.write_articles)."""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from errors import SanadError
from ingest.pipeline import IngestReport
from records import Article

# At most this many jobs wait in one process; past it a new one is refused (their articles are held in memory).
MAX_WAITING = 20
# How often a process marks its unfinished jobs as seen, and after how many missed marks a job is interrupted.
_SEEN_EVERY_SECONDS = 5.0
_MISSED_MARKS = 6
# Finished jobs are forgotten after a week.
_KEPT_SECONDS = 7 * 24 * 3600
_UNFINISHED = ("queued", "running")

Write = Callable[[list[Article], Callable[[int], None]], IngestReport]


class JobsFull(SanadError):
    """Too many jobs are waiting in this process."""


class WriteJobs:
    """The background writes of one app process, and the records of every process's jobs."""

    def __init__(self, path: Path, write: Write, seen_every: float = _SEEN_EVERY_SECONDS):
        self._write = write
        self._seen_every = seen_every
        self._owner = uuid.uuid4().hex
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL,"
            " articles INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, report TEXT, error TEXT,"
            " created REAL NOT NULL, finished REAL, seen REAL NOT NULL)"
        )
        self._lock = threading.Lock()  # one connection, shared by the request threads and the worker
        self._waiting: queue.Queue[tuple[str, list[Article]] | None] = queue.Queue()
        self._stopped = threading.Event()

    def start(self) -> None:
        """Start the worker and the thread that marks this process's jobs as seen."""
        threading.Thread(target=self._work, name="sanad-write-jobs", daemon=True).start()
        threading.Thread(target=self._mark_seen, name="sanad-write-jobs-seen", daemon=True).start()

    def stop(self) -> None:
        """Stop working (the app is shutting down): this process's unfinished jobs are marked interrupted. The
        worker is a daemon: an article it is writing when the process exits is left unseen, not half-stored."""
        self._stopped.set()
        self._waiting.put(None)
        self._execute(
            "UPDATE jobs SET status = 'interrupted', finished = ? WHERE owner = ? AND status IN (?, ?)",
            (time.time(), self._owner, *_UNFINISHED),
        )

    def submit(self, articles: list[Article]) -> dict:
        """Queue `articles` to be written; returns the job as `status` reports it."""
        if self._waiting.qsize() >= MAX_WAITING:
            raise JobsFull(f"{MAX_WAITING} write jobs are already waiting; try again when one has finished")
        job, now = uuid.uuid4().hex[:16], time.time()
        self._execute("DELETE FROM jobs WHERE finished < ?", (now - _KEPT_SECONDS,))
        self._execute(
            "INSERT INTO jobs (id, owner, status, articles, created, seen) VALUES (?, ?, 'queued', ?, ?, ?)",
            (job, self._owner, len(articles), now, now),
        )
        self._waiting.put((job, articles))
        return self.status(job)

    def status(self, job: str) -> dict | None:
        """What the job is doing or did, or None when there is no such job."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, articles, done, report, error, created, finished, seen FROM jobs WHERE id = ?", (job,)
            ).fetchone()
        if row is None:
            return None
        status, articles, done, report, error, created, finished, seen = row
        if status in _UNFINISHED and time.time() - seen > self._seen_every * _MISSED_MARKS:
            status, error = "interrupted", "the app process holding this job stopped; send the articles again"
        elif status == "interrupted":
            error = "the app stopped before this job finished; send the articles again"
        return {
            "job": job, "status": status, "articles": articles, "done": done,
            **(json.loads(report) if report else {}), "error": error,
            "created": _when(created), "finished": _when(finished),
        }

    def _work(self) -> None:
        while (taken := self._waiting.get()) is not None and not self._stopped.is_set():
            job, articles = taken
            self._execute("UPDATE jobs SET status = 'running' WHERE id = ? AND status = 'queued'", (job,))
            try:
                report = self._write(articles, lambda done: self._progress(job, done))
            except Exception as error:  # whatever stops a write is the job's failure, not the worker's end
                if not isinstance(error, SanadError):
                    logging.getLogger(__name__).exception("write job %s failed", job)
                self._finish(job, "failed", error=str(error) or type(error).__name__)
            else:
                self._finish(job, "done", report={
                    "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
                    "chunks": report.chunks, "ids": [a.id for a in articles],
                })

    def _progress(self, job: str, done: int) -> None:
        self._execute("UPDATE jobs SET done = done + ? WHERE id = ?", (done, job))

    def _finish(self, job: str, status: str, report: dict | None = None, error: str | None = None) -> None:
        self._execute(
            "UPDATE jobs SET status = ?, report = ?, error = ?, finished = ? WHERE id = ?",
            (status, json.dumps(report) if report else None, error, time.time(), job),
        )

    def _mark_seen(self) -> None:
        while not self._stopped.wait(self._seen_every):
            self._execute(
                "UPDATE jobs SET seen = ? WHERE owner = ? AND status IN (?, ?)", (time.time(), self._owner, *_UNFINISHED)
            )

    def _execute(self, sql: str, parameters: tuple) -> None:
        with self._lock:
            self._db.execute(sql, parameters)


def _when(seconds: float | None) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds") if seconds else None
