"""Real processes on one store: what `python -m ingest` writes, a store already open in another process searches at
once (dense, sentences, lexical, filtered), on the embedded default and on a Chroma server; and processes that open
a new store together all open it."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from ingest.pipeline import ingest_paths
from records import Filters
from tests.cli import run
from tests.conftest import FIXTURES, ROOT
from vectorstore.store import ChunkStore

FERRY = """---
id: cli-ferry
published: 2026-07-01
---
# Night ferry returns to the northern islands

The night ferry to the northern islands resumes on 3 July after two years, the port authority said.
"""


@pytest.mark.parametrize("backend", ["embedded", "server"])
def test_an_open_store_searches_what_another_process_ingests(backend, settings, embedder, request, tmp_path):
    environment = {}
    if backend == "server":
        server, collection = request.getfixturevalue("chroma_server"), f"live-{uuid.uuid4().hex[:12]}"
        settings = settings.model_copy(update={"chroma_url": server, "collection": collection})
        environment = {"SANAD_CHROMA_URL": server, "SANAD_COLLECTION": collection}
    reader = ChunkStore(settings, embedder)
    ingest_paths([FIXTURES / "crosslingual"], settings, reader)
    # Something the reader has searched, so its view of the vectors is loaded before the other process writes.
    query = embedder.embed_queries(["When will the boat service restart?"])[0]
    assert "cli-ferry:0" not in dict(reader.nearest(query, 5))
    (tmp_path / "ferry.md").write_text(FERRY, encoding="utf-8")
    cli = run(["ingest", str(tmp_path / "ferry.md")], settings, **environment)
    assert cli.returncode == 0 and "1 added" in cli.stdout, cli.stderr
    assert reader.nearest(query, 1)[0][0] == "cli-ferry:0"
    assert reader.nearest(query, 1, Filters(published_from="2026-06-01"))[0][0] == "cli-ferry:0"
    assert reader.lexical_search("northern islands ferry", 1)[0][0] == "cli-ferry:0"
    assert reader.versions(["cli-ferry"])["cli-ferry"][1] == {"cli-ferry:0"}
    assert run(["ingest", str(tmp_path / "ferry.md")], settings, **environment).stdout.count("1 unchanged") == 1


# Each process gets ready, then all open the same new store together.
OPEN_AT_ONCE = """
import sys
from pathlib import Path
from vectorstore.lexical import LexicalIndex
ready, n = Path(sys.argv[2]), int(sys.argv[3])
(ready / sys.argv[4]).touch()
while len(list(ready.iterdir())) < n:
    pass
LexicalIndex(Path(sys.argv[1]))
"""


def test_processes_opening_a_new_store_at_once_all_open_it(tmp_path):
    # Turning on WAL takes a lock that SQLite's busy timeout does not wait for: before the store waited for it,
    # 3 of 10 such rounds had a process fail with "database is locked" (two ingests started together did too).
    processes, rounds = 6, 6
    for round_ in range(rounds):
        ready = tmp_path / f"ready-{round_}"
        ready.mkdir()
        index = tmp_path / f"store-{round_}" / "index.sqlite3"
        children = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_AT_ONCE, str(index), str(ready), str(processes), str(n)],
                cwd=ROOT, stderr=subprocess.PIPE, text=True,
            )
            for n in range(processes)
        ]
        failed = [child.communicate(timeout=120)[1] for child in children if child.wait(120)]
        assert not failed, f"round {round_}: {failed[0][-300:]}"
