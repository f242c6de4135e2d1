"""Ingestion into a real store: idempotent, changed files replace their chunks, bad inputs lose nothing else."""

import shutil
from pathlib import Path

import pytest

import records
from ingest.pipeline import ingest_paths
from vectorstore.store import ChunkStore

FIXTURES = Path(__file__).parent.parent / "fixtures" / "crosslingual"


@pytest.fixture
def store(settings, embedder):
    return ChunkStore(settings, embedder)


@pytest.fixture
def corpus(tmp_path):
    return shutil.copytree(FIXTURES, tmp_path / "corpus")


def test_second_run_adds_nothing(settings, store, corpus):
    first = ingest_paths([corpus], settings, store)
    count = store.count()
    second = ingest_paths([corpus], settings, store)
    assert (first.added, first.failed, first.chunks) == (4, 0, count) and count >= 4
    assert (second.added, second.updated, second.unchanged, second.chunks) == (0, 0, 4, 0)
    assert store.count() == count


def test_a_new_way_of_cutting_text_writes_every_article_again(settings, store, corpus, monkeypatch):
    ingest_paths([corpus], settings, store)
    count = store.count()
    monkeypatch.setattr(records, "UNITS_VERSION", records.UNITS_VERSION + 1)
    again = ingest_paths([corpus], settings, store)
    assert (again.added, again.updated, again.unchanged) == (0, 4, 0)
    assert store.count() == count  # replaced, not added to
    assert ingest_paths([corpus], settings, store).unchanged == 4


def test_changed_file_replaces_its_chunks(settings, store, corpus):
    small = settings.model_copy(update={"chunk_tokens": 40, "chunk_overlap_tokens": 0})
    ingest_paths([corpus], small, store)
    target = corpus / "wheat-harvest.md"
    before = store.count()
    target.write_text("# موسم الحصاد\n\nتأجل الحصاد بسبب المطر.\n", encoding="utf-8")
    report = ingest_paths([corpus], small, store)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 3)
    hits = store.search(store.embedder.embed_queries(["تأجل الحصاد بسبب المطر"])[0], k=50)
    wheat = [p.chunk for p in hits if p.chunk.source == str(target)]
    assert [c.text for c in wheat] == ["تأجل الحصاد بسبب المطر."]
    assert store.count() < before


def test_bad_inputs_fail_alone(settings, store, corpus, tmp_path):
    (corpus / "broken.jsonl").write_text('{"text": "سطر جيد", "id": "ok"}\n{oops\n', encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02")
    report = ingest_paths([corpus, tmp_path / "missing"], settings, store)
    assert report.added == 5 and report.failed == 3
    assert sorted(str(e).split(":")[0].rsplit("/", 1)[-1] for e in report.errors) == ["binary.txt", "broken.jsonl", "missing"]
    assert "articles: 5 added, 0 updated, 0 unchanged, 3 failed" in report.summary()


def test_duplicate_ids_are_refused(settings, store, tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "same", "text": "one"}\n{"id": "same", "text": "two"}\n', encoding="utf-8")
    report = ingest_paths([tmp_path / "a.jsonl"], settings, store)
    assert report.added == 1 and "duplicate article id 'same'" in str(report.errors[0])
