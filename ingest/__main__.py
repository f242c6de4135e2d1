"""`python -m ingest PATH... [--db DIR]`: add articles to the store; exit 1 if any input failed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from errors import SanadError
from settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Add articles to Sanad's store.")
    parser.add_argument("paths", nargs="+", type=Path, help="files or folders (.txt .md .html .json .jsonl)")
    parser.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(data_dir=args.db)
        from ingest.pipeline import ingest_paths
        from vectorstore.embedder import Embedder
        from vectorstore.store import ChunkStore

        store = ChunkStore(settings, Embedder(settings))
        report = ingest_paths(args.paths, settings, store, show_progress=sys.stderr.isatty())
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
