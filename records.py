"""The small typed records that travel along the pipeline: read → chunk → embed → store → retrieve → answer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cached_property

from analysis import UNITS_VERSION, clause_windows, sentence_spans
from errors import InputError


def day_number(published: str) -> int:
    """A publication date as YYYYMMDD, which Chroma can compare; 0 when the date is missing or not ISO 8601."""
    text = published.strip().replace("Z", "+00:00")
    try:
        return int((datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text[:10])).strftime("%Y%m%d"))
    except ValueError:
        return 0


def _titled(title: str, text: str) -> str:
    return f"{title}\n{text}" if title else text


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
    outlet: str = ""  # the publication (a site's or feed's name, front matter `source:`), not the path or URL
    section: str = ""  # the outlet's section label, e.g. «آراء»

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything stored about the article changes, or how it is cut (analysis.UNITS_VERSION);
        re-ingest compares it."""
        return hashlib.sha256(json.dumps([asdict(self), UNITS_VERSION], sort_keys=True).encode()).hexdigest()[:16]


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
    outlet: str = ""
    section: str = ""
    fingerprint: str = ""

    @property
    def searchable_text(self) -> str:
        """What the indexes see: the title gives a passage the context its sentences leave implicit."""
        return _titled(self.title, self.text)

    @cached_property
    def sentences(self) -> list[Sentence]:
        """The units the chunk is searched and quoted by, with offsets in the article like the chunk's own (split
        once, then kept): its sentences, then the clause windows of its long sentences (analysis.clause_windows),
        which overlap their sentence and each other."""
        sentences = sentence_spans(self.text)
        spans = sentences + [window for s, e in sentences for window in clause_windows(self.text, s, e)]
        return [self.unit(n, s, e) for n, (s, e) in enumerate(spans)]

    def unit(self, number: int, start: int, end: int) -> Sentence:
        """The chunk's unit `number`, which spans text[start:end]."""
        return Sentence(
            f"{self.id}{Sentence.ID_MARK}{number}", self.id, self.title, self.text[start:end], self.start + start,
            self.start + end,
        )

    def metadata(self) -> dict[str, str | int]:
        """Everything but the id and text, as Chroma stores it, with the date as a number filters can compare."""
        fields = asdict(self)
        del fields["id"], fields["text"]
        fields["published_day"] = day_number(self.published)
        return fields

    @classmethod
    def from_store(cls, chunk_id: str, text: str, metadata: dict) -> Chunk:
        """Rebuild a chunk from what Chroma returns."""
        known = {name: metadata[name] for name in cls.__dataclass_fields__ if name in metadata}
        return cls(id=chunk_id, text=text, **known)


@dataclass(frozen=True)
class Sentence:
    """A unit of a chunk (a sentence or a clause window), embedded on its own so that answers can quote the exact span."""

    id: str
    chunk_id: str
    title: str
    text: str
    start: int
    end: int

    ID_MARK = ":s"  # a sentence's id is its chunk's id, this mark and its number

    @property
    def searchable_text(self) -> str:
        """What the model sees: the article's title, then the sentence."""
        return _titled(self.title, self.text)


@dataclass(frozen=True)
class Filters:
    """Which articles a question may be answered from; empty fields do not filter."""

    published_from: str = ""
    published_to: str = ""
    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    exclude_sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()  # one article, when a question is asked on that article's page

    def __post_init__(self):
        for bound in (self.published_from, self.published_to):
            if bound and not day_number(bound):
                raise InputError("filters", f"date {bound!r} is not a date like 2026-03-14")

    def conditions(self) -> list[tuple[str, str, object]]:
        """(field, operator, value) triples, all of which a chunk's metadata must meet."""
        found: list[tuple[str, str, object]] = []
        for bound, operator in ((self.published_from, "$gte"), (self.published_to, "$lte")):
            if bound:
                found.append(("published_day", operator, day_number(bound)))
        for name, values in (
            ("source", self.sources), ("author", self.authors), ("lang", self.langs),
            ("outlet", self.outlets), ("section", self.sections), ("article_id", self.article_ids),
        ):
            if values:
                found.append((name, "$in", list(values)))
        if self.exclude_sources:
            found.append(("source", "$nin", list(self.exclude_sources)))
        return found


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and how well it matched."""

    chunk: Chunk
    score: float
    alternates: tuple[str, ...] = ()  # other URLs of the same story (near-duplicates not stored again)


@dataclass(frozen=True)
class Citation:
    """The exact span an answer quotes: passage number n, and character offsets in the article."""

    n: int
    chunk_id: str
    article_id: str
    start: int
    end: int
    text: str


@dataclass
class Answer:
    """What Sanad says to a question: text with [n] markers, and the passages those numbers point to."""

    question: str
    text: str
    abstained: bool
    passages: list[Passage] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    mode: str = "extractive"  # or "llm": written by a language model and verified
    notes: list[str] = field(default_factory=list)  # what the user should know: removed sentences, fallbacks
    cited: list[int] = field(default_factory=list)  # for "llm" answers: the passage numbers the text cites
    from_article: str = ""  # the id of the one article the answer was limited to; "" for the whole store

    def to_json(self, question_id: str | int | None = None) -> dict:
        """The stable JSON shape of `rag ask --json`; passages are numbered from 1, best first."""
        return {
            "id": question_id,
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(self.confidence, 4),
            "mode": self.mode,
            "notes": self.notes,
            "from_article": self.from_article,
            "citations": [asdict(c) for c in self.citations],
            "passages": [
                {
                    "n": n,
                    "source": p.chunk.source,
                    "title": p.chunk.title,
                    "author": p.chunk.author,
                    "published": p.chunk.published,
                    "url": p.chunk.url,
                    "outlet": p.chunk.outlet,
                    "section": p.chunk.section,
                    "text": p.chunk.text,
                    "start": p.chunk.start,
                    "end": p.chunk.end,
                    "score": round(p.score, 4),
                    "chunk_id": p.chunk.id,
                    "article_id": p.chunk.article_id,
                    "alternates": list(p.alternates),
                }
                for n, p in enumerate(self.passages, start=1)
            ],
        }
