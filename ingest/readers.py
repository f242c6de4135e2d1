"""Readers turn files (.txt, .md, .html, .json, .jsonl) into Articles, or into errors that name the file and line."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis import guess_language
from errors import InputError
from records import Article

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)


@dataclass
class ReadResult:
    """What reading a set of paths produced."""

    articles: list[Article] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: int = 0  # files in folders that are not a supported kind


def stable_id(*parts: str) -> str:
    """A short id that depends only on its parts: how an article without an id of its own is named."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError(str(path), "binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(str(path), f"not UTF-8 text (bad byte at offset {error.start})") from None
    if not text.strip():
        raise InputError(str(path), "empty file")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _article(path: Path, text: str, title: str = "", key: str = "", **meta: str) -> Article:
    text = text.strip()
    # Without a title, a citation names the outlet and date; the file name only when there is no outlet either.
    untitled = "" if meta.get("outlet", "").strip() else path.stem.replace("_", " ")
    return Article(
        id=meta.pop("id", "") or stable_id(key or str(path.resolve())),
        title=title.strip() or untitled,
        text=text,
        source=str(path),
        lang=meta.pop("lang", "") or guess_language(text),
        **{name: value.strip() for name, value in meta.items()},
    )


# A section label: one to three words without a sentence's final punctuation, e.g. «آراء», "World news".
_SECTION = re.compile(r"^[^\s.!?؟:،؛,;]+(?: [^\s.!?؟:،؛,;]+){0,2}$")
# A byline: the word, then a name of one to four words; in Latin script each word capitalised except particles,
# so that "By Tuesday the rain stopped" is a sentence, not a byline.
_BYLINE = re.compile(r"^(?:بقلم|كتب|كتبت|[Bb]y)\s*:?\s*([^\s.!?؟:،,;]+(?:\s+[^\s.!?؟:،,;]+){0,3})\s*$")
_NAME_PARTICLES = frozenset({"al", "el", "bin", "ibn", "de", "van", "von", "da", "la", "le", "abu"})


def _heading(text: str) -> tuple[str, str, str]:
    """(section, title, body) of a plain text: "section / headline / body" when the first line is a short label
    with the headline straight under it, "title / blank line / body" when a blank line follows the first line."""
    lines = text.strip().split("\n")
    if len(lines) > 2 and _SECTION.match(lines[0].strip()) and lines[1].strip() and len(lines[1]) < 200:
        if not lines[2].strip() or not lines[1].rstrip().endswith((".", "!", "؟", "?")):
            return lines[0].strip(), lines[1].strip(), "\n".join(lines[2:])
    first, _, rest = text.strip().partition("\n")
    if rest.startswith("\n") and len(first) < 200:
        return "", first, rest
    return "", "", text


def _byline(body: str) -> tuple[str, str]:
    """(author, body without the byline) when a byline line («بقلم …», "By …") opens or closes the text and
    no other names a different author; else ("", body)."""
    lines = body.strip().split("\n")
    ends = {0, len(lines) - 1} if len(lines) > 1 else set()
    found = {at: match.group(1).strip() for at in ends if (match := _BYLINE.match(lines[at].strip()))}
    names = set(found.values())
    if len(names) != 1 or any(
        word[0].islower() and word.lower() not in _NAME_PARTICLES for name in names for word in name.split()
    ):
        return "", body
    return names.pop(), "\n".join(line for at, line in enumerate(lines) if at not in found)


def read_text(path: Path) -> list[Article]:
    """A plain text file: an optional section label and title (see `_heading`), and a byline at either end."""
    section, title, body = _heading(_decode(path))
    author, body = _byline(body)
    return [_article(path, body, title=title, author=author, section=section)]


def _front_matter(block: str) -> dict[str, str]:
    """Simple `key: value` lines; enough for title, author, date and url without a YAML dependency."""
    meta = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return meta


def read_markdown(path: Path) -> list[Article]:
    """Markdown: front matter for metadata; the title from it or from the first `#` heading."""
    text = _decode(path)
    meta = {}
    if found := _FRONT_MATTER.match(text):
        meta = _front_matter(found.group(1))
        text = text[found.end() :]
    title = meta.get("title", "")
    if heading := _HEADING.search(text):
        if not title or heading.group(1).strip() == title:
            title = heading.group(1)
            text = text[: heading.start()] + text[heading.end() :]
    return [
        _article(
            path, text, title=title, author=meta.get("author", ""),
            published=meta.get("published") or meta.get("date", ""), url=meta.get("url", ""),
            lang=meta.get("lang", ""), id=meta.get("id", ""), outlet=meta.get("source", ""),
            section=meta.get("section") or meta.get("category", ""),
        )
    ]


_BLOCKS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "div", "section", "td", "br"]
_NOISE = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg"]


def read_html(path: Path) -> list[Article]:
    """HTML: the main text (article, main or body, without navigation and scripts), title, author and date."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path), "html.parser")

    def meta(*names: str) -> str:
        for name in names:
            tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
            if tag and tag.get("content"):
                return tag["content"]
        return ""

    title = meta("og:title") or (soup.title.get_text() if soup.title else "")
    time_tag = soup.find("time")
    published = meta("article:published_time", "date", "pubdate") or (
        time_tag.get("datetime", "") if time_tag else ""
    )
    author = meta("author", "article:author")
    url = meta("og:url") or next((link["href"] for link in soup.find_all("link", rel="canonical")), "")
    lang = soup.html.get("lang", "")[:2] if soup.html else ""
    outlet = meta("og:site_name")
    for tag in soup.find_all(_NOISE):
        tag.decompose()
    main = soup.find("article") or soup.find("main") or soup.body or soup
    if not title and (h1 := main.find("h1")):
        title = h1.get_text(" ", strip=True)
    text = _main_text(main, title)
    if not text:
        raise InputError(str(path), "no text found in the HTML")
    return [_article(path, text, title=title, author=author, published=published, url=url, lang=lang, outlet=outlet)]


def _main_text(main, title: str = "") -> str:
    """The text of an HTML element, one paragraph per innermost block, without a line that repeats the title."""
    paragraphs = []
    for block in main.find_all(_BLOCKS):
        if block.find(_BLOCKS):  # only innermost blocks, so no text is taken twice
            continue
        line = " ".join(block.get_text().split())  # inline tags join as written: "<b>word</b>." stays "word."
        if line and line != title.strip():
            paragraphs.append(line)
    return "\n\n".join(paragraphs) or " ".join(main.get_text(" ", strip=True).split())


def html_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed item's content or title), without scripts and styles."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup.find_all(_NOISE):
        tag.decompose()
    return _main_text(soup)


def read_record(record: object, path: Path, line: int | None = None, fallback_key: str = "") -> Article:
    """A JSON object with `text` and optional metadata: from a .json or .jsonl file, or sent over HTTP.

    Without an "id", a URL names the article; failing that `fallback_key`, or else its place in the file."""
    if not isinstance(record, dict):
        raise InputError(str(path), "expected a JSON object with a \"text\" field", line)
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(str(path), "missing or empty \"text\" field", line)
    fields = {}
    for name in ("title", "url", "author", "published", "id", "lang", "outlet", "section"):
        value = record.get(name)
        if value is not None and not isinstance(value, (str, int, float)):
            raise InputError(str(path), f"field \"{name}\" must be text", line)
        fields[name] = "" if value is None else str(value)
    key = fields["url"] or fallback_key or f"{path.resolve()}#{line if line is not None else 0}"
    return _article(path, text, key=key, **fields)


def read_json(path: Path) -> Iterator[Article | InputError]:
    """A JSON object, or an array of objects, each with `text` and optional metadata."""
    try:
        data = json.loads(_decode(path))
    except json.JSONDecodeError as error:
        raise InputError(str(path), f"malformed JSON: {error.msg}", error.lineno) from None
    for record in data if isinstance(data, list) else [data]:
        try:
            yield read_record(record, path)
        except InputError as error:
            yield error


def read_jsonl(path: Path) -> Iterator[Article | InputError]:
    """One JSON object per line; a bad line is an error of its own and the other lines still count."""
    for number, line in enumerate(_decode(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield read_record(json.loads(line), path, number)
        except json.JSONDecodeError as error:
            yield InputError(str(path), f"malformed JSON line: {error.msg}", number)
        except InputError as error:
            yield error


_READERS = {
    ".txt": read_text, ".md": read_markdown, ".markdown": read_markdown, ".html": read_html,
    ".htm": read_html, ".json": read_json, ".jsonl": read_jsonl,
}
SUPPORTED = frozenset(_READERS)


def _files(path: Path, result: ReadResult, exclude: list[Path]) -> Iterator[Path]:
    if not path.exists():
        result.errors.append(InputError(str(path), "no such file or directory"))
    elif path.is_file():
        yield path
    else:
        for found in sorted(path.rglob("*")):
            if not found.is_file() or any(part.startswith(".") for part in found.relative_to(path).parts):
                continue
            if any(found.resolve().is_relative_to(folder) for folder in exclude):
                continue
            if found.suffix.lower() in SUPPORTED:
                yield found
            else:
                result.skipped += 1


def read_paths(paths: list[Path], exclude: list[Path] = ()) -> ReadResult:
    """Every article under `paths` (files, or folders read recursively, leaving out the folders in `exclude`,
    such as Sanad's own data directory), and an error for each bad input."""
    result = ReadResult()
    excluded = [folder.resolve() for folder in exclude]
    for path in paths:
        for file in _files(Path(path), result, excluded):
            reader = _READERS.get(file.suffix.lower())
            if reader is None:
                result.errors.append(
                    InputError(str(file), f"unsupported file type; use one of {', '.join(sorted(SUPPORTED))}")
                )
                continue
            try:
                for item in reader(file):
                    (result.errors if isinstance(item, InputError) else result.articles).append(item)
            except InputError as error:
                result.errors.append(error)
            except OSError as error:
                result.errors.append(InputError(str(file), f"cannot read: {error.strerror or error}"))
    return result
