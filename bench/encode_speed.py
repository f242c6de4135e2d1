"""Raw encode speed of the embedding backends side by side, in one run, on the same sentences.

    python bench/encode_speed.py [ARTICLES_DIR] [--sentences N] [--backends torch,onnx,onnx-int8]
                                 [--batch-sizes 32] [--rounds 1] [--threads 2] [--questions QUESTIONS.jsonl]

Each backend embeds the same N sentences (as passages) after a warm-up, taking turns with the others for
`--rounds` rounds; the figures are the best round's tokens per second, the speed-up over the first backend
listed and the cosine of each vector to that backend's. The machine is shared: read the ratios, and note the
load printed beside them. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import sentence_spans  # noqa: E402
from ingest.readers import read_paths  # noqa: E402
from rag.eval import percentile  # noqa: E402
from settings import load_settings  # noqa: E402
from vectorstore import onnx_backend  # noqa: E402
from vectorstore.embedder import Embedder  # noqa: E402


def sentences(folder: Path, count: int) -> list[str]:
    """The first `count` sentences of the articles, in file order."""
    found: list[str] = []
    for article in read_paths([folder]).articles:
        found += [article.text[start:end] for start, end in sentence_spans(article.text)]
        if len(found) >= count:
            break
    return found[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", nargs="?", type=Path, default=Path("samples"))
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    parser.add_argument("--batch-sizes", default="32", help="comma-separated; each backend runs with each")
    parser.add_argument("--rounds", type=int, default=1, help="time each backend this many times, keep the best")
    parser.add_argument("--threads", type=int, default=onnx_backend.INTRA_OP_THREADS,
                        help="torch's threads and ONNX Runtime's intra-op threads")
    parser.add_argument("--questions", type=Path,
                        help="a questions.jsonl: also time its first 200 questions embedded one at a time, as asking does")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    onnx_backend.INTRA_OP_THREADS = args.threads  # read when the session is made, below
    base = load_settings()
    texts = sentences(args.articles, args.sentences)
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average); threads {args.threads}")

    runs = [(backend, int(size)) for backend in args.backends.split(",") for size in args.batch_sizes.split(",")]
    embedders = {}
    for backend, size in runs:
        settings = base.model_copy(update={"embed_backend": backend, "embed_batch_size": size})
        embedders[backend, size] = Embedder(settings)
        embedders[backend, size].embed_passages(texts[:8])  # warm-up: first-call setup is not throughput
    tokens = sum(embedders[runs[0]].count_tokens(texts))
    print(f"texts: {len(texts)} sentences, {tokens} tokens; best of {args.rounds} rounds, backends taking turns")
    # Taking turns, so that a change in the machine's load falls on every backend alike.
    seconds = {run: float("inf") for run in runs}
    vectors = {}
    for _ in range(args.rounds):
        for run in runs:
            started = time.perf_counter()
            vectors[run] = embedders[run].embed_passages(texts)
            seconds[run] = min(seconds[run], time.perf_counter() - started)
    for backend, size in runs:
        cosines = (vectors[backend, size] * vectors[runs[0]]).sum(axis=1)
        print(f"{backend:10} batch {size:3} on {embedders[backend, size].device}: "
              f"{tokens / seconds[backend, size]:7.0f} tokens/s ({seconds[backend, size]:5.1f}s)  "
              f"{seconds[runs[0]] / seconds[backend, size]:4.2f}x  "
              f"cosine mean {cosines.mean():.4f} min {cosines.min():.4f}")
    if args.questions:
        time_questions(args.questions, {backend: embedders[backend, size] for backend, size in runs}, args.rounds)
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average) at the end")


def time_questions(path: Path, embedders: dict[str, Embedder], rounds: int) -> None:
    """One question per call, as an answer embeds it: latency, not throughput, is what a reader feels."""
    questions = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = questions[:200]
    for embedder in embedders.values():
        for question in questions[:20]:  # warm-up
            embedder.embed_queries([question])
    best = {backend: [float("inf")] * len(questions) for backend in embedders}
    for _ in range(rounds):
        for backend, embedder in embedders.items():
            for n, question in enumerate(questions):
                started = time.perf_counter()
                embedder.embed_queries([question])
                best[backend][n] = min(best[backend][n], (time.perf_counter() - started) * 1000)
    for backend, milliseconds in best.items():
        print(f"{backend:10} one question at a time ({len(questions)}): "
              f"p50 {percentile(milliseconds, 0.5):5.1f} ms, p95 {percentile(milliseconds, 0.95):5.1f} ms")


if __name__ == "__main__":
    main()
