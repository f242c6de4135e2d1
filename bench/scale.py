"""The store's own costs as it grows: one article added, questions' store lookups, memory, disk, start-up.

    python bench/scale.py --chunks N [--server URL] [--json] [--articles DIR] [--db DIR] [--questions FILE]

A STAND-IN EMBEDDER returns random unit vectors instantly, so only the store is timed (Chroma, the ledger and
the Tantivy BM25 index), never the model. Articles are made of sentences drawn from real news (news-ar by default),
with random dates over two years and one of 20 sources. The store is filled through `write_articles`, 50
articles at a time, then measured in a fresh process: start-up (open + first question), adding one article,
and a question's store lookups (BM25, dense chunks, passages, the answer step's unit vectors)
with no filter and with a one-month date filter. A question's text is a sentence of the articles, or one of the
`--questions` (real questions are shorter, so their BM25 is cheaper). Prints figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import sentence_spans  # noqa: E402
from ingest.chunker import Chunker  # noqa: E402
from ingest.pipeline import embedded_texts  # noqa: E402
from ingest.readers import read_paths  # noqa: E402
from rag.eval import percentile  # noqa: E402
from records import Article, Chunk, Filters  # noqa: E402
from settings import load_settings  # noqa: E402
from vectorstore.store import ChunkStore  # noqa: E402

DEFAULT_ARTICLES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "news-ar" / "articles"
SENTENCES_PER_ARTICLE = 40
QUESTIONS = 50
CANDIDATES = 30  # what each ranking hands to fusion (SANAD_FUSION_CANDIDATES)
FILL_BATCH = 50  # articles per write while filling (ingest writes about 128 chunks' worth at once)


class StandInEmbedder:
    """Random unit vectors, at once: a stand-in for the model, so that only the store's costs are timed."""

    name = "stand-in/random-unit-vectors"
    dim = 384
    backend = "stand-in"  # recorded with the collection, as a real embedder's backend is

    @staticmethod
    def reads_vectors_of(backend: str) -> bool:
        return backend == StandInEmbedder.backend

    def __init__(self, seed: int = 0):
        self._rng = np.random.default_rng(seed)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._rng.normal(size=(len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    embed_queries = embed_passages

    @staticmethod
    def count_tokens(texts: list[str]) -> list[int]:
        return [len(text.split()) * 4 // 3 for text in texts]  # about what e5's tokenizer makes of Arabic news


def _articles(pool: list[str], first: int):
    """Endless synthetic articles from the `first`th on: real sentences, random dates and sources. Each start
    has its own random stream, so a store grown in two runs holds no article twice."""
    rng = random.Random(first + 1)
    for n in itertools.count(first):
        published = f"{rng.choice((2024, 2025))}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield Article(
            id=f"bench-{n}", title=rng.choice(pool)[:120], source=f"source-{rng.randrange(20)}", lang="ar",
            text=" ".join(rng.choice(pool) for _ in range(SENTENCES_PER_ARTICLE)), published=published,
        )


def _vectors(store: ChunkStore, chunks: list[Chunk]) -> tuple[list[Chunk], np.ndarray, np.ndarray]:
    vectors = store.embedder.embed_passages(embedded_texts(chunks))
    return chunks, vectors[: len(chunks)], vectors[len(chunks) :]


def _pool(folder: Path) -> list[str]:
    texts = [a.text for a in read_paths([folder]).articles]
    return [text[s:e] for text in texts for s, e in sentence_spans(text) if e - s > 30]


def fill(settings, chunks: int, pool: list[str]) -> None:
    """Grow the store to at least `chunks` chunks, FILL_BATCH articles per write, as ingest writes them."""
    store = ChunkStore(settings, StandInEmbedder(1))
    chunker = Chunker(StandInEmbedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    stored, _ = store.lexical.articles(0, 0)  # the count alone
    articles, written, started = _articles(pool, stored), store.count(), time.perf_counter()
    while written < chunks:
        batch = [_vectors(store, chunker.chunk(next(articles))) for _ in range(FILL_BATCH)]
        store.write_articles(batch)
        written += sum(len(chunks) for chunks, _, _ in batch)
        print(f"  {written} chunks, {time.perf_counter() - started:.0f}s", file=sys.stderr)


def measure(settings, pool: list[str], asked: list[str]) -> dict:
    """Figures for the store as it is, in this (fresh) process, asking the texts in `asked`."""
    rng = random.Random(2)
    started = time.perf_counter()
    store = ChunkStore(settings, StandInEmbedder(2))
    embedder = store.embedder
    store.lexical_search(rng.choice(asked), CANDIDATES)
    store.nearest(embedder.embed_queries([""])[0], CANDIDATES)
    startup = time.perf_counter() - started

    def question(filters: Filters | None) -> float:
        text, vector = rng.choice(asked), embedder.embed_queries([""])[0]
        began = time.perf_counter()
        found = [i for i, _ in store.lexical_search(text, CANDIDATES, filters)]
        found += [i for i, _ in store.nearest(vector, CANDIDATES, filters)]
        top = list(dict.fromkeys(found))[:5]
        store.sentences([passage.chunk for passage in store.passages(top, vector)], vector)
        return (time.perf_counter() - began) * 1000

    def month() -> Filters:
        year, number = rng.choice((2024, 2025)), rng.randint(1, 12)
        return Filters(published_from=f"{year}-{number:02d}-01", published_to=f"{year}-{number:02d}-28")

    plain = [question(None) for _ in range(QUESTIONS)]
    filtered = [question(month()) for _ in range(QUESTIONS)]
    chunker = Chunker(StandInEmbedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
    # Articles of their own stream, under ids new to the store (a stored version would be "unchanged", not
    # written), deleted again so that the store keeps its size for the next run.
    adds, new, run = [], _articles(pool, 2), time.time_ns()
    for n in range(5):
        article = dataclasses.replace(next(new), id=f"added-{run}-{n}")
        began = time.perf_counter()
        assert store.write_article(*_vectors(store, chunker.chunk(article)))
        adds.append(time.perf_counter() - began)
    for n in range(5):
        store.delete_article(f"added-{run}-{n}")
    rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024
    disk = sum(p.stat().st_size for p in settings.data_dir.rglob("*") if p.is_file()) / 2**20
    return {
        "chunks": store.count(), "server": bool(settings.chroma_url), "embedder": StandInEmbedder.name,
        "add_one_article_s": round(sorted(adds)[len(adds) // 2], 4),
        "query_p50_ms": round(percentile(plain, 0.5), 2), "filtered_query_p50_ms": round(percentile(filtered, 0.5), 2),
        "rss_mb": round(rss), "disk_mb": round(disk), "startup_s": round(startup, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, required=True, help="grow the store to this many chunks")
    parser.add_argument("--server", help="a Chroma server, e.g. http://127.0.0.1:8000 (default: embedded)")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES, help="where the sentences come from")
    parser.add_argument("--db", type=Path, help="keep the store in this folder (grown further if it exists)")
    parser.add_argument(
        "--questions", type=Path, help='ask these (JSON lines with "question") instead of sentences of the articles'
    )
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)  # the fresh process
    args = parser.parse_args()

    pool = _pool(args.articles)
    asked = pool
    if args.questions:
        lines = args.questions.read_text(encoding="utf-8").splitlines()
        asked = [json.loads(line)["question"] for line in lines if line.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.db or Path(scratch)
        settings = load_settings(data_dir=folder, chroma_url=args.server, collection=f"scale{args.chunks}")
        if args.measure_only:
            print(json.dumps(measure(settings, pool, asked)))
            return
        started = time.perf_counter()
        fill(settings, args.chunks, pool)
        filled = time.perf_counter() - started
        command = [sys.executable, __file__, "--chunks", str(args.chunks), "--articles", str(args.articles),
                   "--db", str(folder), "--measure-only", *(["--server", args.server] if args.server else []),
                   *(["--questions", str(args.questions)] if args.questions else [])]
        figures = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        if args.json:
            print(json.dumps(figures))
        else:
            print(f"filled to {figures['chunks']} chunks in {filled:.0f}s")
            for name, value in figures.items():
                print(f"{name:>24}: {value}")


if __name__ == "__main__":
    main()
