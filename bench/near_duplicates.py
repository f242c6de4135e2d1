"""How similar lightly edited copies of an article are to it, next to how similar distinct articles are: the
data behind ingest/duplicates.py's THRESHOLD.

    python bench/near_duplicates.py ARTICLES_DIR [--seed 1]

Each article gets an edited copy as another site would run the same wire story: a different dateline in front,
its last sentence dropped, one word in twenty replaced, and a sentence of another article added. Prints the
Jaccard similarity of word shingles (exact, and MinHash's estimate at the chosen size) for copies and for every
pair of distinct articles. Asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import sys
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import sentence_spans  # noqa: E402
from ingest import duplicates  # noqa: E402
from ingest.readers import read_paths  # noqa: E402
from rag.eval import percentile  # noqa: E402


def edited(text: str, other: str, rng: random.Random) -> str:
    """A lightly edited copy of `text`, as another outlet runs the same story."""
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    borrowed = [other[s:e] for s, e in sentence_spans(other)]
    if len(sentences) > 2:
        sentences = sentences[:-1]
    sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(borrowed))
    tokens = ("(وكالات) - " + " ".join(sentences)).split()
    for at in rng.sample(range(len(tokens)), len(tokens) // 20):
        tokens[at] = rng.choice(tokens)
    return " ".join(tokens)


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("articles", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    texts = [a.text for a in read_paths([args.articles]).articles]
    copies = [edited(text, texts[(i + 1) % len(texts)], rng) for i, text in enumerate(texts)]
    for size in (3, 5):
        duplicates.SHINGLE_WORDS = size
        sets = [duplicates.shingles(t) for t in texts]
        copy_scores = sorted(jaccard(s, duplicates.shingles(c)) for s, c in zip(sets, copies))
        distinct = sorted(jaccard(a, b) for a, b in combinations(sets, 2))
        print(f"{size}-word shingles, {len(texts)} articles:")
        print(f"  edited copies: min {copy_scores[0]:.3f}, p1 {percentile(copy_scores, 0.01):.3f}, "
              f"p50 {percentile(copy_scores, 0.5):.3f}, max {copy_scores[-1]:.3f}")
        print(f"  distinct pairs ({len(distinct)}): p50 {percentile(distinct, 0.5):.3f}, "
              f"p99.9 {percentile(distinct, 0.999):.3f}, max {distinct[-1]:.3f}")
    duplicates.SHINGLE_WORDS = 3
    estimates = sorted(duplicates.signature(t).jaccard(duplicates.signature(c)) for t, c in zip(texts, copies))
    signatures = [duplicates.signature(t) for t in texts]
    wrongly = sum(a.jaccard(b) >= duplicates.THRESHOLD for a, b in combinations(signatures, 2))
    caught = sum(e >= duplicates.THRESHOLD for e in estimates)
    print(f"MinHash ({duplicates.NUM_PERM} permutations, 3-word shingles), edited copies: min {estimates[0]:.3f}, "
          f"p50 {percentile(estimates, 0.5):.3f}")
    print(f"at the threshold {duplicates.THRESHOLD}: {caught} of {len(texts)} copies are found, "
          f"{wrongly} distinct pairs are taken for copies")


if __name__ == "__main__":
    main()
