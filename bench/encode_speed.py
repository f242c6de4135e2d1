"""Raw encode speed of the embedding backends side by side, in one run, on the same sentences.

    python bench/encode_speed.py [ARTICLES_DIR] [--sentences N] [--backends torch,onnx,onnx-int8]
                                 [--batch-sizes 32] [--threads 2]

Each backend embeds the same N sentences (as passages) after a warm-up; the figures are tokens per second, the
speed-up over the first backend listed and the cosine of each vector to that backend's. The machine is shared:
read the ratios, and note `uptime` beside them. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from analysis import sentence_spans  # noqa: E402
from ingest.readers import read_paths  # noqa: E402
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
    parser.add_argument("--threads", type=int, default=onnx_backend.INTRA_OP_THREADS,
                        help="torch's threads and ONNX Runtime's intra-op threads")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    onnx_backend.INTRA_OP_THREADS = args.threads  # read when the session is made, below
    base = load_settings()
    texts = sentences(args.articles, args.sentences)
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average); threads {args.threads}")

    reference: np.ndarray | None = None
    reference_seconds = 0.0
    for backend in args.backends.split(","):
        for batch_size in map(int, args.batch_sizes.split(",")):
            settings = base.model_copy(update={"embed_backend": backend, "embed_batch_size": batch_size})
            embedder = Embedder(settings)
            if reference is None:
                tokens = sum(embedder.count_tokens(texts))
                print(f"texts: {len(texts)} sentences, {tokens} tokens")
            embedder.embed_passages(texts[:8])  # warm-up: first-call setup is not throughput
            started = time.perf_counter()
            vectors = embedder.embed_passages(texts)
            seconds = time.perf_counter() - started
            if reference is None:
                reference, reference_seconds = vectors, seconds
            cosines = (vectors * reference).sum(axis=1)
            print(f"{backend:10} batch {batch_size:3} on {embedder.device}: {tokens / seconds:7.0f} tokens/s "
                  f"({seconds:5.1f}s)  {reference_seconds / seconds:4.2f}x  "
                  f"cosine mean {cosines.mean():.4f} min {cosines.min():.4f}", flush=True)
            del embedder
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average) at the end")


if __name__ == "__main__":
    main()
