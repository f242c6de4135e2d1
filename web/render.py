"""Answers as HTML for the chat. Every text that comes from an article or a user is escaped here, and only
http(s) addresses become links: the page shows what articles say and never runs what they contain."""

from __future__ import annotations

import html
import re

from analysis import guess_language
from rag.answer import in_language
from records import Answer, Passage

_MARKER = re.compile(r"\[(\d+)\]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOST = re.compile(r"https?://([^/?#]+)", re.I)  # what a link to another copy of a story is named by
_LABELS = {
    "ar": {
        "sources": "المصادر", "closest": "أقرب المقاطع (لا تجيب عن السؤال)", "open": "افتح المصدر", "note": "ملاحظة",
        "also": "منشور أيضاً في:",
    },
    "en": {
        "sources": "Sources", "closest": "Closest passages (they do not answer the question)",
        "open": "Open the source", "note": "Note", "also": "Also published at:",
    },
}


def direction(text: str) -> str:
    """'rtl' for Arabic text, 'ltr' otherwise."""
    return "rtl" if guess_language(text) == "ar" else "ltr"


def _text(value: str) -> str:
    """Escaped text; line breaks kept as <br>, so the HTML holds no blank line a Markdown pass could act on.
    ISO dates are kept left to right: inside Arabic, 2026-03-14 would otherwise show as 14-03-2026."""
    escaped = "<br>".join(html.escape(line) for line in value.split("\n"))
    return _DATE.sub(r'<span dir="ltr">\g<0></span>', escaped)


def _isolated(text: str, pieces: list[str]) -> str:
    """`text` escaped, with each of `pieces` found in it in its own direction isolate: an English quote or title
    inside an Arabic answer keeps its own word order, and so does the reverse."""
    pattern = "|".join(re.escape(piece) for piece in sorted(set(filter(None, pieces)), key=len, reverse=True))
    if not pattern:
        return _text(text)
    parts, at = [], 0
    for found in re.finditer(pattern, text):
        parts += [_text(text[at : found.start()]), f'<span dir="auto">{_text(found.group())}</span>']
        at = found.end()
    parts.append(_text(text[at:]))
    return "".join(parts)


def web_address(url: str) -> str | None:
    """The URL when it is an http(s) address, the only kind a citation links to."""
    return url if re.match(r"https?://[^\s<>\"']+$", url.strip(), re.I) else None


def _link(url: str, text: str, css: str) -> str:
    """A link that opens outside the chat; `url` must have passed `web_address`."""
    return (
        f'<a class="{css}" href="{html.escape(url, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer nofollow">{text}</a>'
    )


def _alternates(urls: tuple[str, ...], labels: dict) -> str:
    """The other sites that ran the story, each a link named by its host."""
    hosts = [(url, _HOST.match(url.strip()).group(1)) for url in filter(web_address, urls)]
    links = [_link(url, html.escape(host), "sanad-alternate") for url, host in hosts]
    return f'<div class="sanad-also" dir="auto">{labels["also"]} {" ".join(links)}</div>' if links else ""


def _source_id(turn: int, n: int) -> str:
    return f"sanad-{turn}-{n}"


def question_html(question: str) -> str:
    """A user's message: escaped, laid out by its own language."""
    return f'<div class="sanad-q" dir="{direction(question)}">{_text(question)}</div>'


def streaming_html(question: str, text: str) -> str:
    """The answer so far, while it streams in: plain text, [n] not yet linked."""
    caret = '<span class="sanad-caret"></span>'
    return f'<div class="sanad-a sanad-streaming" dir="{direction(question)}">{_text(text)}{caret}</div>'


def _context(passage: Passage, spans: list[tuple[int, int]]) -> str:
    """The passage with the cited spans (article offsets) marked."""
    chunk = passage.chunk
    cuts = sorted((max(0, s - chunk.start), min(len(chunk.text), e - chunk.start)) for s, e in spans)
    parts, at = [], 0
    for start, end in cuts:
        if start < at or start >= end:
            continue
        parts += [_text(chunk.text[at:start]), f"<mark>{_text(chunk.text[start:end])}</mark>"]
        at = end
    parts.append(_text(chunk.text[at:]))
    return "".join(parts)


def _source(turn: int, n: int, passage: Passage, spans: list[tuple[int, int]], labels: dict) -> str:
    chunk = passage.chunk
    # The outlet heads an untitled article's citation and joins the byline of a titled one.
    name, outlet = (chunk.title, chunk.outlet) if chunk.title else (chunk.outlet, "")
    byline = " · ".join(_text(part) for part in (outlet, chunk.author, chunk.published) if part)
    url = web_address(chunk.url)
    origin = f'<span class="sanad-origin">{html.escape(chunk.source)}</span>'
    link = _link(url, f'{labels["open"]} ↗', "sanad-link") if url else origin
    return (
        f'<details class="sanad-source" id="{_source_id(turn, n)}">'
        f'<summary><span class="sanad-n">{n}</span>'
        f'<span class="sanad-title" dir="auto">{html.escape(name)}</span>'
        f'<span class="sanad-byline" dir="auto">{byline}</span></summary>'
        f'<div class="sanad-context" dir="{direction(chunk.text)}">{_context(passage, spans)}</div>'
        f'<div class="sanad-meta">{link}{_alternates(passage.alternates, labels)}</div></details>'
    )


def answer_html(answer: Answer, turn: int) -> str:
    """An answer with each [n] a link to its source, and the sources it cites listed under it."""
    labels = in_language(_LABELS, guess_language(answer.question))
    numbers = range(1, len(answer.passages) + 1)

    def link(found: re.Match) -> str:
        n = int(found.group(1))
        if n not in numbers:
            return found.group(0)
        return f'<a class="sanad-cite" href="#{_source_id(turn, n)}">[{n}]</a>'

    cited = [c for c in answer.citations if c.n in numbers]
    quoted = [c.text for c in cited] + [
        name for c in cited for name in (answer.passages[c.n - 1].chunk.title, answer.passages[c.n - 1].chunk.outlet)
    ]
    text = _MARKER.sub(link, _isolated(answer.text, quoted))
    below = "".join(f'<div class="sanad-note">{labels["note"]}: {_text(note)}</div>' for note in answer.notes)
    spans: dict[int, list[tuple[int, int]]] = {}
    for citation in cited:
        spans.setdefault(citation.n, []).append((citation.start, citation.end))
    shown = sorted(set(spans) | set(answer.cited)) or list(numbers)
    heading = labels["closest"] if answer.abstained else labels["sources"]
    sources = "".join(_source(turn, n, answer.passages[n - 1], spans.get(n, []), labels) for n in shown if n in numbers)
    if sources:
        below += f'<div class="sanad-sources"><div class="sanad-sources-head">{heading}</div>{sources}</div>'
    return f'<div class="sanad-a" dir="{direction(answer.question)}"><div class="sanad-text">{text}</div>{below}</div>'


def notice_html(text: str) -> str:
    """A message from Sanad itself (an error, or how to add articles)."""
    return f'<div class="sanad-notice" dir="{direction(text)}">{_text(text)}</div>'
