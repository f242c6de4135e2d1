"""Crash-safe ingestion at the size of a real batch: `python -m ingest` killed with SIGKILL at random moments, then
run again; is each store equal to a clean ingest of the same articles?

    python bench/crash.py ARTICLES_DIR [--articles 60] [--kills 20] [--seed 1]

Takes the first `--articles` files of ARTICLES_DIR (sorted by name), ingests them once cleanly with the CLI
(the real model; batches of 4 texts, so that ingest writes every 16 chunks: 60 articles are written in several
batches, as a long ingest is, instead of one at the end) and times that run. Then, `--kills` times, in a new data
folder: starts the same ingest, kills it with SIGKILL after a random time within that run's length, notes how
many articles the ledger held and whether one was half-written (withdrawn, its ledger row not yet written), runs
the same ingest again to the end, and compares the store with the clean one article by article: fingerprint,
ledger counts, chunk rows, unit vectors, Chroma's chunk records, BM25 documents; nothing in Chroma or BM25
outside the ledger, and no BM25 log left to replay. Prints a line per kill and the count of equal stores;
asserts nothing. The tests do the same on 12 small articles and 4 kills (tests/ingest/test_crash_safety.py),
whose comparison this uses.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settings import load_settings  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.ingest.test_crash_safety import NOT_ARTICLES, pending_articles, store_state  # noqa: E402


def _ingest(corpus: Path, data_dir: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ingest", str(corpus)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "SANAD_DATA_DIR": str(data_dir), "SANAD_EMBED_BATCH_SIZE": "4"},
        )


def _finished(process: subprocess.Popen, log: Path) -> None:
    if process.wait() != 0:
        raise SystemExit(f"ingest failed:\n{log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles_dir", type=Path)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="sanad-crash-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        for path in sorted(p for p in args.articles_dir.iterdir() if p.is_file())[: args.articles]:
            shutil.copy(path, corpus / path.name)

        began = time.monotonic()
        _finished(_ingest(corpus, work / "clean", work / "clean.log"), work / "clean.log")
        length = time.monotonic() - began
        expected = store_state(load_settings(data_dir=work / "clean"))
        print(f"clean ingest of {len(expected) - len(NOT_ARTICLES)} articles: {length:.1f} s (model load included)")

        equal = 0
        for round_ in range(args.kills):
            data_dir, log = work / f"killed-{round_}", work / f"killed-{round_}.log"
            settings = load_settings(data_dir=data_dir)
            at = rng.uniform(0, length)
            process = _ingest(corpus, data_dir, log)
            time.sleep(at)
            process.kill()
            exit_code = process.wait()
            half_written = pending_articles(settings) > 0
            stored = len(store_state(settings)) - len(NOT_ARTICLES) if settings.data_dir.joinpath("lexical").exists() else 0
            _finished(_ingest(corpus, data_dir, log), log)
            same = store_state(settings) == expected
            equal += same
            finished = " (had finished)" if exit_code == 0 else ""
            print(
                f"kill {round_ + 1:2d} at {at:5.1f} s{finished}: {stored:2d} articles stored, "
                f"half-written: {'yes' if half_written else 'no '}; after the re-run equal to the clean ingest: "
                f"{'yes' if same else 'NO'}", flush=True,
            )
            shutil.rmtree(data_dir)
        print(f"{equal} of {args.kills} stores equal a clean ingest")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
