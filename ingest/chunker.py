"""Cut articles into chunks of a few hundred model tokens along paragraph and sentence lines, Arabic included.

Every chunk is an exact span of its article (`article.text[start:end]`), so a citation can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from analysis import CLAUSE_END, sentence_spans, split_spans
from records import Article, Chunk

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")

TokenCounter = Callable[[list[str]], list[int]]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int
    paragraph: int


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]


class Chunker:
    """Packs sentences into chunks of at most `max_tokens`, repeating up to `overlap_tokens` across a cut."""

    def __init__(self, count_tokens: TokenCounter, max_tokens: int, overlap_tokens: int):
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap_tokens = min(overlap_tokens, max_tokens // 2)

    def units(self, text: str) -> list[_Span]:
        """Sentences, with over-long ones cut at clauses and then between words, never inside one."""
        sentences = [
            (s, e, number)
            for number, (ps, pe) in enumerate(split_spans(text, 0, len(text), _PARAGRAPH_BREAK))
            for s, e in sentence_spans(text, ps, pe)
        ]
        counts = self.count_tokens([text[s:e] for s, e, _ in sentences])
        units = []
        for (start, end, paragraph), tokens in zip(sentences, counts):
            if tokens <= self.max_tokens:
                units.append(_Span(start, end, tokens, paragraph))
            else:
                units.extend(self._cut_long(text, start, end, paragraph))
        return units

    def _cut_long(self, text: str, start: int, end: int, paragraph: int) -> list[_Span]:
        pieces = []
        # Inside an over-long sentence, prefer clause marks (analysis.CLAUSE_END), then cut between words.
        for clause_start, clause_end in split_spans(text, start, end, CLAUSE_END):
            words = [(clause_start + s, clause_start + e) for s, e in _words(text, clause_start, clause_end)]
            pieces.extend(words if self.count_tokens([text[clause_start:clause_end]])[0] > self.max_tokens
                          else [(clause_start, clause_end)])
        counts = self.count_tokens([text[s:e] for s, e in pieces])
        spans: list[_Span] = []
        for (s, e), tokens in zip(pieces, counts):
            if spans and spans[-1].tokens + tokens <= self.max_tokens:
                spans[-1] = _Span(spans[-1].start, e, spans[-1].tokens + tokens, paragraph)
            else:
                spans.append(_Span(s, e, tokens, paragraph))
        return spans

    def pack(self, units: list[_Span]) -> list[list[_Span]]:
        """Group units into chunks; a paragraph that fits whole in a fresh chunk is not split across two."""
        groups: list[list[_Span]] = []
        current: list[_Span] = []
        paragraph_tokens: dict[int, int] = {}
        for unit in units:
            paragraph_tokens[unit.paragraph] = paragraph_tokens.get(unit.paragraph, 0) + unit.tokens
        for unit in units:
            used = sum(u.tokens for u in current)
            new_paragraph = bool(current) and unit.paragraph != current[-1].paragraph
            whole = paragraph_tokens[unit.paragraph]
            if current and (
                used + unit.tokens > self.max_tokens
                or (new_paragraph and used + whole > self.max_tokens and whole <= self.max_tokens)
            ):
                groups.append(current)
                # Overlap only inside a paragraph: a chunk that starts a paragraph needs no repeated context.
                current = [] if new_paragraph else self._overlap(current, self.max_tokens - unit.tokens)
            current.append(unit)
        if current:
            groups.append(current)
        return groups

    def _overlap(self, previous: list[_Span], room: int) -> list[_Span]:
        tail: list[_Span] = []
        budget = min(self.overlap_tokens, room)
        for unit in reversed(previous[1:]):  # never repeat a whole chunk
            if unit.paragraph != previous[-1].paragraph or unit.tokens > budget:
                break
            tail.insert(0, unit)
            budget -= unit.tokens
        return tail

    def chunk(self, article: Article) -> list[Chunk]:
        """The article's chunks, in order, with ids that depend only on the article id and position."""
        return [
            Chunk(
                id=f"{article.id}:{index}", article_id=article.id, index=index,
                text=article.text[group[0].start : group[-1].end], start=group[0].start, end=group[-1].end,
                title=article.title, source=article.source, author=article.author,
                published=article.published, url=article.url, lang=article.lang,
                outlet=article.outlet, section=article.section,
                fingerprint=article.fingerprint,
            )
            for index, group in enumerate(self.pack(self.units(article.text)))
        ]
