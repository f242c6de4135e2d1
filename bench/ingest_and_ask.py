"""Ingest throughput next to the raw model's on the same texts, and ask latency with the model loaded.

    python bench/ingest_and_ask.py [ARTICLES_DIR] [--questions FILE.jsonl] [--asks N]

Prints figures; asserts nothing. Default texts: the bundled samples.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.chunker import Chunker  # noqa: E402
from ingest.pipeline import embedded_texts, ingest_paths  # noqa: E402
from ingest.readers import read_paths  # noqa: E402
from rag.eval import percentile  # noqa: E402
from rag.pipeline import AskPipeline  # noqa: E402
from settings import load_settings  # noqa: E402
from vectorstore.embedder import Embedder  # noqa: E402
from vectorstore.store import ChunkStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="?", type=Path, default=Path("samples"))
    parser.add_argument("--questions", type=Path, help='JSON lines with "question"; default: article titles')
    parser.add_argument("--asks", type=int, default=100, help="questions to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        base = load_settings()
        settings = base.model_copy(update={"data_dir": Path(scratch), "model_dir": base.bundled_model_path.parent})
        started = time.perf_counter()
        embedder = Embedder(settings)
        print(f"model load: {time.perf_counter() - started:.2f}s ({settings.embedding_model}, dim {embedder.dim}, "
              f"{embedder.backend} on {embedder.device})")

        read = read_paths([args.articles])
        chunker = Chunker(embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens)
        chunks = [c for a in read.articles for c in chunker.chunk(a)]
        texts = embedded_texts(chunks)  # the chunks, then their sentences, as ingest embeds them
        tokens = sum(embedder.count_tokens(texts))
        print(f"texts: {len(read.articles)} articles, {len(chunks)} chunks, {len(texts)} texts embedded, {tokens} tokens")

        embedder.embed_passages(texts[:8])  # warm-up, so neither side pays for first-call setup
        started = time.perf_counter()
        embedder.embed_passages(texts)
        raw = time.perf_counter() - started

        store = ChunkStore(settings, embedder)
        report = ingest_paths([args.articles], settings, store)
        print(f"raw encode: {tokens / raw:8.0f} tokens/s {len(chunks) / raw:7.1f} chunks/s ({raw:.1f}s)")
        print(f"ingest:     {tokens / report.seconds:8.0f} tokens/s {report.chunks / report.seconds:7.1f} chunks/s "
              f"({report.seconds:.1f}s, {report.chunks} chunks)")
        print(f"ingest / raw throughput: {raw / report.seconds:.2f}")

        if args.questions:
            lines = args.questions.read_text(encoding="utf-8").splitlines()
            questions = [json.loads(line)["question"] for line in lines if line.strip()]
        else:
            questions = [a.title for a in read.articles]
        questions = (questions * (args.asks // max(len(questions), 1) + 1))[: args.asks]
        pipeline = AskPipeline.open(settings, embedder)
        pipeline.ask(questions[0], settings.top_k)
        latencies = []
        for question in questions:
            started = time.perf_counter()
            pipeline.ask(question, settings.top_k)
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"ask latency over {len(latencies)} questions (k={settings.top_k}): "
              f"p50 {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
