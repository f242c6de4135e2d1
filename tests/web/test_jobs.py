"""Background writes on their own: what a job reports when its write fails, when its process stops or dies, and
when too many wait. (The API test writes real articles through them.)"""

from __future__ import annotations

import threading
import time

import pytest

from errors import StoreError
from ingest.pipeline import IngestReport
from records import Article
from web.jobs import MAX_WAITING, JobsFull, WriteJobs

ARTICLES = [Article(id=f"a{n}", title="A title", text="Some text.", source="test") for n in range(3)]


def wait_until(predicate, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the job did not get there in time"
        time.sleep(0.02)


def test_a_job_reports_its_progress_then_what_it_stored(tmp_path):
    release = threading.Event()

    def write(articles, progress):
        progress(1)
        release.wait(10)
        progress(len(articles) - 1)
        return IngestReport(added=2, unchanged=1, chunks=4)

    jobs = WriteJobs(tmp_path / "jobs.sqlite3", write)
    jobs.start()
    job = jobs.submit(ARTICLES)
    assert job["status"] in ("queued", "running") and job["articles"] == 3 and job["finished"] is None
    wait_until(lambda: jobs.status(job["job"])["done"] == 1)
    assert jobs.status(job["job"])["status"] == "running"
    release.set()
    wait_until(lambda: jobs.status(job["job"])["status"] == "done")
    finished = jobs.status(job["job"])
    assert finished["done"] == 3 and finished["error"] is None and finished["finished"]
    assert (finished["added"], finished["unchanged"], finished["chunks"]) == (2, 1, 4)
    assert finished["ids"] == ["a0", "a1", "a2"]
    jobs.stop()


def test_a_write_that_fails_is_a_failed_job_and_the_next_one_still_runs(tmp_path):
    def write(articles, progress):
        if articles[0].id == "a0":
            raise StoreError("the Chroma server at http://chroma:8000 did not answer")
        return IngestReport(added=len(articles))

    jobs = WriteJobs(tmp_path / "jobs.sqlite3", write)
    jobs.start()
    failing, passing = jobs.submit(ARTICLES[:1]), jobs.submit(ARTICLES[1:])
    wait_until(lambda: jobs.status(passing["job"])["status"] == "done")
    failed = jobs.status(failing["job"])
    assert failed["status"] == "failed" and "did not answer" in failed["error"]
    jobs.stop()


def test_jobs_left_by_a_stopped_or_dead_process_read_as_interrupted(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    stopping = WriteJobs(path, lambda articles, progress: IngestReport())
    left = stopping.submit(ARTICLES)  # never started: the job waits until the app stops
    stopping.stop()
    # A process that dies marks nothing: its jobs go unseen, and another process reads them as interrupted.
    dead = WriteJobs(path, lambda articles, progress: IngestReport(), seen_every=0.05)
    lost = dead.submit(ARTICLES)
    reader = WriteJobs(path, lambda articles, progress: IngestReport(), seen_every=0.05)
    assert reader.status(left["job"])["status"] == "interrupted"
    assert "send the articles again" in reader.status(left["job"])["error"]
    wait_until(lambda: reader.status(lost["job"])["status"] == "interrupted", 5)
    assert reader.status("no-such-job") is None


def test_too_many_waiting_jobs_are_refused_with_a_reason(tmp_path):
    jobs = WriteJobs(tmp_path / "jobs.sqlite3", lambda articles, progress: IngestReport())
    for _ in range(MAX_WAITING):
        jobs.submit(ARTICLES[:1])
    with pytest.raises(JobsFull, match=f"{MAX_WAITING} write jobs are already waiting"):
        jobs.submit(ARTICLES[:1])
