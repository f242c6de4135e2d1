"""Crash-safe, exactly-once ingestion, tried for real: `python -m ingest` killed with SIGKILL at random moments
and while an article is half-written, then run again, leaves the store equal to a clean ingest, article by
article; two ingests of the same files at once store each article once."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from tests.conftest import FIXTURES, ROOT
from vectorstore.bm25 import BM25Index
from vectorstore.store import ChunkStore

CORPUS = [FIXTURES / name for name in ("crosslingual", "english", "names", "hostile")]
ARTICLES = 13
# Small chunks and small model calls: many store writes, spread over the whole run.
SMALL = {"chunk_tokens": 32, "chunk_overlap_tokens": 0, "embed_batch_size": 4}
KILLS = 4
# What `store_state` says besides its articles.
NOT_ARTICLES = ("outside the ledger", "BM25 documents outside the ledger", "BM25 log not replayed")


def _index(settings) -> Path:
    return settings.data_dir / "lexical" / f"{settings.collection}.sqlite3"


def _rows(settings, sql: str) -> list[tuple]:
    with sqlite3.connect(_index(settings), timeout=30) as db:
        return db.execute(sql).fetchall()


def pending_articles(settings) -> int:
    """Articles between their withdrawal and their ledger row; 0 before the writer has made its tables."""
    try:
        return _rows(settings, "SELECT count(*) FROM pending")[0][0]
    except sqlite3.OperationalError:
        return 0


def store_state(settings) -> dict[str, tuple]:
    """Per article in the ledger: fingerprint, ledger counts, chunk rows, units with vectors, Chroma chunk
    records, BM25 documents; plus (NOT_ARTICLES) what Chroma holds for articles outside the ledger, the BM25
    documents of none of them, and the chunk rows logged for BM25 and not yet replayed."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import NotFoundError

    client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False))
    try:
        held = Counter(m["article_id"] for m in client.get_collection(settings.collection).get(include=["metadatas"])["metadatas"])
    except NotFoundError:  # killed while the store was being set up
        held = Counter()
    finally:
        client.close()
    lexical = dict(_rows(settings, "SELECT article_id, count(*) FROM chunks GROUP BY article_id"))
    units = dict(_rows(
        settings,
        "SELECT c.article_id, sum(json_array_length(u.spans)) FROM chunks c JOIN unit_vectors u ON u.chunk = c.id GROUP BY c.article_id",
    ))
    assert _rows(settings, "SELECT count(*) FROM bodies") == _rows(settings, "SELECT count(*) FROM chunks")
    bm25 = BM25Index(_index(settings).with_suffix(".tantivy"))
    state = {
        article: (fingerprint, chunks, sentences, lexical.get(article), units.get(article), held[article], bm25.rows_of(article))
        for article, fingerprint, chunks, sentences in _rows(settings, "SELECT article_id, fingerprint, chunks, sentences FROM articles")
    }
    in_ledger = sum(counts[-1] for counts in state.values())
    state["outside the ledger"] = tuple(sorted(set(held) - set(state)))
    state["BM25 documents outside the ledger"] = len(bm25) - in_ledger
    state["BM25 log not replayed"] = _rows(settings, "SELECT count(*) FROM changes")[0][0]
    return state


def _start_cli(settings, log: Path) -> subprocess.Popen:
    environment = {
        **os.environ, "SANAD_DATA_DIR": str(settings.data_dir), "SANAD_MODEL_DIR": str(settings.model_dir),
        **{f"SANAD_{name.upper()}": str(value) for name, value in SMALL.items()},
    }
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ingest", *map(str, CORPUS)], cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
        )


def _wait_for(condition, seconds: float = 120, every: float = 0.001) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)


@pytest.fixture
def small(settings):
    return settings.model_copy(update=SMALL)


@pytest.fixture
def clean(small, embedder, tmp_path):
    """The state of a clean ingest, and how long the CLI's writing phase takes (index open to exit)."""
    reference = small.model_copy(update={"data_dir": tmp_path / "clean"})
    report = ingest_paths(CORPUS, reference, ChunkStore(reference, embedder))
    assert (report.added, report.failed) == (ARTICLES, 0)
    timed = small.model_copy(update={"data_dir": tmp_path / "timed"})
    child = _start_cli(timed, tmp_path / "timed.log")
    _wait_for(_index(timed).exists)
    opened = time.monotonic()
    assert child.wait(300) == 0, (tmp_path / "timed.log").read_text()
    state = store_state(reference)
    assert store_state(timed) == state and state["outside the ledger"] == ()
    return state, time.monotonic() - opened


def test_ingest_killed_anywhere_then_run_again_equals_a_clean_ingest(small, embedder, clean, tmp_path):
    expected, window = clean
    seed = time.time_ns()
    print(f"seed {seed}, writing window {window:.2f}s")  # shown when the test fails, to replay the moments
    rng = random.Random(seed)
    caught_half_written = 0
    for round_ in range(KILLS):
        settings = small.model_copy(update={"data_dir": tmp_path / f"killed-{round_}"})
        child = _start_cli(settings, tmp_path / f"killed-{round_}.log")
        _wait_for(_index(settings).exists)
        if round_ % 2:  # as soon as an article is between its withdrawal and its ledger row
            _wait_for(lambda: child.poll() is not None or pending_articles(settings) > 0)
        else:  # at a random moment of the writing
            time.sleep(rng.uniform(0, window))
        child.kill()  # SIGKILL; nothing if the ingest has already finished
        child.wait(30)
        caught_half_written += pending_articles(settings) > 0
        # Whatever the moment, every article the ledger holds is whole (BM25 may not have caught up: the next
        # write replays its log, and searches leave logged rows out until then).
        killed = store_state(settings)
        for article, counts in killed.items():
            if article not in NOT_ARTICLES:
                assert counts[:-1] == expected[article][:-1], (round_, article)
        report = ingest_paths(CORPUS, settings, ChunkStore(settings, embedder))
        assert report.failed == 0 and report.added + report.unchanged == ARTICLES
        assert store_state(settings) == expected, f"round {round_}"
    assert caught_half_written, "no kill landed while an article was half-written"


def test_two_ingests_at_once_store_each_article_once(small, clean, tmp_path):
    expected, _ = clean
    settings = small.model_copy(update={"data_dir": tmp_path / "both"})
    children = [_start_cli(settings, tmp_path / f"writer-{n}.log") for n in range(2)]
    assert [child.wait(300) for child in children] == [0, 0]
    assert store_state(settings) == expected
    reports = [(tmp_path / f"writer-{n}.log").read_text() for n in range(2)]
    added = sum(int(report.split("articles: ")[1].split(" added")[0]) for report in reports)
    assert added == ARTICLES, reports  # one writer added each article; the other found it stored
