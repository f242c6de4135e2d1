"""Retrieval: two rankings of the chunks, fused.

- chunks nearest the question as wholes,
- BM25 over Arabic-aware terms and cross-script name keys (exact words, names, numbers).

A third ranking, chunks by their nearest sentence or clause window, was dropped: once the answer scorer re-ranked
the passages it read, it lowered hit@1 on the train parts of news-ar (English 0.748 -> 0.660) and ARCD (Arabic
0.870 -> 0.861), and it needed every unit's vector in Chroma's in-memory index (bench/README.md).
"""

from __future__ import annotations

import numpy as np

from analysis import guess_language, languages_differ
from records import Filters, Passage
from settings import Settings
from vectorstore.store import ChunkStore

# Reciprocal rank fusion's damping constant: the value of Cormack et al. (2009), left untuned.
_RRF_K = 60


class Retriever:
    """Finds the passages that best match a question, by the method the settings name."""

    def __init__(self, store: ChunkStore, settings: Settings):
        self.store = store
        self.settings = settings

    def retrieve(
        self, question: str, k: int, filters: Filters | None = None, vector: np.ndarray | None = None
    ) -> list[Passage]:
        """The k best passages for `question` among those that pass `filters`, best first.

        `vector` is the question's embedding when the caller has it. A passage's score is its cosine
        similarity to the question, whichever ranking found it, so later steps can judge the evidence.
        """
        if vector is None:
            vector = self.store.embedder.embed_queries([question])[0]
        mode = self.settings.retrieval
        if mode == "dense":
            return self.store.search(vector, k, filters)
        depth = max(k, self.settings.fusion_candidates)
        lexical_hits = self.store.lexical_search(question, depth, filters)
        lexical = [chunk_id for chunk_id, _ in lexical_hits]
        if mode == "lexical":
            return self.store.passages(lexical[:k], vector)
        # BM25's share scales with how close a hit comes to the best one: a chunk that only shares a common
        # verb ("قال") with the question should not earn a full rank's credit.
        strength = {chunk_id: score / lexical_hits[0][1] for chunk_id, score in lexical_hits}
        nearest = self.store.nearest(vector, depth, filters)
        # Whether each candidate is in the question's language, read once for both rankings.
        language = guess_language(question)
        found = lexical + [chunk_id for chunk_id, _ in nearest]
        crosses = {
            chunk_id: languages_differ(lang, language) for chunk_id, lang in self.store.lexical.languages(found).items()
        }
        dense = self._rank(nearest, crosses)
        fused: dict[str, float] = {}

        def add(ranking: list[str], weight_of) -> None:
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight_of(chunk_id) / (_RRF_K + rank + 1)

        settings = self.settings
        add(dense, lambda _: settings.chunk_weight)
        # Across scripts BM25 matches only names, numbers and the lexicon's translations: evidence that must not
        # outvote the model (settings.cross_language_lexical).
        add(lexical, lambda chunk_id: settings.lexical_weight * strength[chunk_id] * (
            settings.cross_language_lexical if crosses.get(chunk_id, False) else 1.0
        ))
        return self.store.passages(sorted(fused, key=fused.get, reverse=True)[:k], vector)

    def _rank(self, scored: list[tuple[str, float]], crosses: dict[str, bool]) -> list[str]:
        """Chunk ids by similarity, with passages in another language than the question's put on an equal footing."""
        def fair(pair: tuple[str, float]) -> float:
            return pair[1] + self.settings.cross_language_offset * crosses.get(pair[0], False)

        return [chunk_id for chunk_id, _ in sorted(scored, key=fair, reverse=True)]
