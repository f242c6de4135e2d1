"""The small typed records that travel along the pipeline: read → chunk → embed → store → retrieve → answer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """One text as read from a file, a JSON line or a URL."""

    id: str
    title: str
    text: str
    source: str
    author: str = ""
    published: str = ""
    url: str = ""
    lang: str = ""

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything stored about the article changes; re-ingest compares it."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    """A span of an article, `text == article.text[start:end]`, with the article's metadata for citing."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    title: str
    source: str
    author: str = ""
    published: str = ""
    url: str = ""
    lang: str = ""
    fingerprint: str = ""

    def metadata(self) -> dict[str, str | int]:
        """Everything but the id and text, as Chroma stores it."""
        fields = asdict(self)
        del fields["id"], fields["text"]
        return fields

    @classmethod
    def from_store(cls, chunk_id: str, text: str, metadata: dict) -> Chunk:
        """Rebuild a chunk from what Chroma returns."""
        known = {name: metadata[name] for name in cls.__dataclass_fields__ if name in metadata}
        return cls(id=chunk_id, text=text, **known)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and how well it matched."""

    chunk: Chunk
    score: float


@dataclass
class Answer:
    """What Sanad says to a question: text with [n] markers, and the passages those numbers point to."""

    question: str
    text: str
    abstained: bool
    passages: list[Passage] = field(default_factory=list)

    def to_json(self, question_id: str | int | None = None) -> dict:
        """The stable JSON shape of `rag ask --json`; passages are numbered from 1, best first."""
        return {
            "id": question_id,
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "passages": [
                {
                    "n": n,
                    "source": p.chunk.source,
                    "title": p.chunk.title,
                    "author": p.chunk.author,
                    "published": p.chunk.published,
                    "url": p.chunk.url,
                    "text": p.chunk.text,
                    "start": p.chunk.start,
                    "end": p.chunk.end,
                    "score": round(p.score, 4),
                    "chunk_id": p.chunk.id,
                    "article_id": p.chunk.article_id,
                }
                for n, p in enumerate(self.passages, start=1)
            ],
        }
