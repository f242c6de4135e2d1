"""Citation verification for generated answers: every [n] exists, every sentence is backed by what it cites.

A sentence is supported when its cited passages hold a sentence close to it (the embedding model, with stored
sentence vectors) and every number it states appears in them. Shared words are no evidence: "the bridge will
reopen" shares nearly all its words with "the bridge will stay closed". The number
rule catches the contradiction the model's similarity misses: "eight months" and "three years" read alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis import languages_differ, normalize, sentence_spans
from records import Passage
from settings import Settings
from vectorstore.store import ChunkStore

_MARKER = re.compile(r"\s*\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Checked:
    """One sentence of a generated answer and the verdict on it."""

    text: str
    cited: tuple[int, ...]
    problem: str  # "" when supported


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(normalize(text))}


class CitationVerifier:
    """Checks each sentence of an answer against the passages it cites."""

    def __init__(self, store: ChunkStore, settings: Settings):
        self.store = store
        self.settings = settings

    def check(self, answer: str, passages: list[Passage], language: str) -> list[Checked]:
        """A verdict for every sentence of `answer`, in order."""
        sentences = [answer[s:e] for s, e in sentence_spans(answer)]
        claims = [_MARKER.sub("", s).strip() for s in sentences]
        vectors = self.store.embedder.embed_passages(claims)
        verdicts = []
        for sentence, claim, vector in zip(sentences, claims, vectors):
            cited = tuple(int(n) for n in _MARKER.findall(sentence))
            verdicts.append(Checked(sentence.strip(), cited, self._problem(claim, cited, vector, passages, language)))
        return verdicts

    def _problem(self, claim: str, cited: tuple[int, ...], vector, passages: list[Passage], language: str) -> str:
        if not cited:
            return "cites no passage"
        if unknown := [n for n in cited if not 1 <= n <= len(passages)]:
            return f"cites [{unknown[0]}], which is not one of the {len(passages)} passages"
        backing = [passages[n - 1] for n in cited]
        text = " ".join(p.chunk.text for p in backing)
        if missing := _numbers(claim) - _numbers(text):
            return f"states {sorted(missing)[0]}, which its passages do not"
        similarity = max(
            (score for _, score in self.store.sentences([p.chunk for p in backing], vector)), default=0.0
        )
        crosses = any(languages_differ(p.chunk.lang, language) for p in backing)
        bar = self.settings.support_similarity_cross_language if crosses else self.settings.support_similarity
        if similarity >= bar:
            return ""
        return "is not supported by the passage it cites"
