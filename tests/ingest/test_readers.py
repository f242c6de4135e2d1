"""Every reader, and every bad input: one error naming the file (and line), the rest still read."""

import json

import pytest

from analysis import guess_language
from ingest.readers import read_paths


def write(path, content, mode="w"):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def only_article(path):
    result = read_paths([path])
    assert result.errors == [] and len(result.articles) == 1
    return result.articles[0]


def test_text_file_with_a_title_line(tmp_path):
    doc = only_article(write(tmp_path / "a.txt", "عنوان الخبر\n\nنص الخبر هنا.\n"))
    assert (doc.title, doc.text, doc.lang, doc.source) == ("عنوان الخبر", "نص الخبر هنا.", "ar", str(tmp_path / "a.txt"))


def test_text_file_without_a_title_line_is_named_after_the_file(tmp_path):
    doc = only_article(write(tmp_path / "city_news.txt", "One paragraph that runs on.\nAnd on."))
    assert doc.title == "city news" and doc.text == "One paragraph that runs on.\nAnd on." and doc.lang == "en"


def test_markdown_title_from_heading(tmp_path):
    doc = only_article(write(tmp_path / "a.md", "# The title\n\nBody text.\n\n## A section\n\nMore."))
    assert doc.title == "The title" and doc.text == "Body text.\n\n## A section\n\nMore."


def test_markdown_front_matter(tmp_path):
    doc = only_article(write(tmp_path / "a.md", (
        "---\ntitle: \"From front matter\"\nauthor: Leila Mansour\ndate: 2026-03-14\nurl: https://e.org/a\n---\n\n"
        "# From front matter\n\nالنص.\n"
    )))
    assert (doc.title, doc.author, doc.published, doc.url, doc.text) == (
        "From front matter", "Leila Mansour", "2026-03-14", "https://e.org/a", "النص.",
    )


def test_html_main_text_title_author_date(tmp_path):
    doc = only_article(write(tmp_path / "a.html", """<html lang="ar"><head><title>عنوان الصفحة</title>
        <meta name="author" content="سلمى"><meta property="article:published_time" content="2026-04-09">
        <link rel="canonical" href="https://e.org/x"><style>p{color:red}</style></head>
        <body><nav>القائمة</nav><article><h1>عنوان الصفحة</h1><p>الفقرة <b>الأولى</b>.</p>
        <script>alert(1)</script><p>الفقرة الثانية.</p></article><footer>حقوق</footer></body></html>"""))
    assert (doc.title, doc.author, doc.published, doc.url, doc.lang) == (
        "عنوان الصفحة", "سلمى", "2026-04-09", "https://e.org/x", "ar",
    )
    assert doc.text == "الفقرة الأولى.\n\nالفقرة الثانية."


def test_json_object_and_array(tmp_path):
    record = {"text": "Body.", "title": "T", "url": "https://e.org/1", "author": "A", "published": "2026-01-02", "id": "x1"}
    one = only_article(write(tmp_path / "one.json", json.dumps(record)))
    assert (one.id, one.title, one.url, one.author, one.published, one.text) == ("x1", "T", "https://e.org/1", "A", "2026-01-02", "Body.")
    many = read_paths([write(tmp_path / "many.json", json.dumps([record, {**record, "id": "x2"}]))])
    assert [a.id for a in many.articles] == ["x1", "x2"]


def test_jsonl_ids_are_stable_without_an_id_field(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"text": "one", "url": "https://e.org/1"}\n\n{"text": "two"}\n')
    first, second = read_paths([path]).articles, read_paths([path]).articles
    assert [a.id for a in first] == [a.id for a in second] and len({a.id for a in first}) == 2


def test_folders_are_read_recursively_and_other_kinds_skipped(tmp_path):
    write(tmp_path / "d" / "x.md", "# X\n\nx")
    write(tmp_path / "d" / "deeper" / "y.txt", "y")
    write(tmp_path / "d" / "photo.png", b"\x89PNG\x00\x00")
    write(tmp_path / "d" / ".hidden" / "z.md", "z")
    result = read_paths([tmp_path / "d"])
    assert sorted(a.title for a in result.articles) == ["X", "y"] and result.skipped == 1 and not result.errors


@pytest.mark.parametrize("name, content, message", [
    ("bin.txt", b"\x7fELF\x00\x01\x02binary", "binary file"),
    ("latin1.txt", "café crème".encode("latin-1"), "not UTF-8"),
    ("empty.md", "  \n\n", "empty file"),
    ("bad.json", "{not json", "malformed JSON"),
    ("notext.json", '{"title": "no text"}', 'missing or empty "text"'),
    ("page.pdf", b"%PDF-1.4", "unsupported file type"),
])
def test_bad_file_is_one_error_naming_it_and_others_still_read(tmp_path, name, content, message):
    good = write(tmp_path / "good.md", "# Good\n\ntext")
    bad = write(tmp_path / name, content)
    result = read_paths([bad, good])
    assert [a.title for a in result.articles] == ["Good"]
    assert len(result.errors) == 1 and str(result.errors[0]).startswith(str(bad)) and message in str(result.errors[0])


def test_malformed_json_line_names_the_line(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"text": "one"}\n{"text": broken\n{"text": "three"}\n[1]\n')
    result = read_paths([path])
    assert [a.text for a in result.articles] == ["one", "three"]
    assert [str(e) for e in result.errors] == [
        f"{path}:2: malformed JSON line: Expecting value",
        f'{path}:4: expected a JSON object with a "text" field',
    ]


def test_missing_path(tmp_path):
    result = read_paths([tmp_path / "nowhere"])
    assert [str(e) for e in result.errors] == [f"{tmp_path / 'nowhere'}: no such file or directory"]


def test_language_guess():
    assert (guess_language("قال الوزير"), guess_language("The minister said"), guess_language("2026")) == ("ar", "en", "")


def test_news_dump_with_a_section_label_headline_and_byline(tmp_path):
    doc = only_article(write(tmp_path / "op.txt", (
        "آراء\nالماء قبل الطرق\n\nتحتاج المدن الساحلية إلى محطات التحلية قبل الطرق الجديدة.\n"
        "وهذه فقرة ثانية من المقال.\n\nبقلم سمير العلي\n"
    )))
    assert (doc.section, doc.title, doc.author) == ("آراء", "الماء قبل الطرق", "سمير العلي")
    assert doc.text == "تحتاج المدن الساحلية إلى محطات التحلية قبل الطرق الجديدة.\nوهذه فقرة ثانية من المقال."


def test_english_byline_at_the_top(tmp_path):
    doc = only_article(write(tmp_path / "a.txt", "World news\nBridge closes for repairs\nBy Omar Haddad\nThe bridge closed."))
    assert (doc.section, doc.title, doc.author, doc.text) == ("World news", "Bridge closes for repairs", "Omar Haddad", "The bridge closed.")


@pytest.mark.parametrize("content", [
    "بقلم سمير العلي\nالنص هنا.\nبقلم ليلى منصور",  # two different bylines: ambiguous
    "By Tuesday the rain stopped\nAnd the river fell.",  # a sentence, not a byline
    "The river fell.\nBy the end of the week, the bridge reopened.",
])
def test_no_author_when_the_byline_is_ambiguous_or_a_sentence(tmp_path, content):
    doc = only_article(write(tmp_path / "a.txt", content))
    assert doc.author == "" and doc.text == content


def test_a_first_line_ending_a_sentence_is_not_a_section(tmp_path):
    doc = only_article(write(tmp_path / "a.txt", "The council met.\nIt voted on the budget.\n\nMore."))
    assert doc.section == "" and doc.title == "a"


def test_markdown_outlet_and_section_from_front_matter_and_no_file_name_as_title(tmp_path):
    doc = only_article(write(tmp_path / "alarabiya-sanad-004.md", (
        '---\ntitle: ""\nsource: "Al Arabiya (العربية.نت)"\ncategory: "politics"\npublished: 2015-11-25\n---\nالنص.\n'
    )))
    assert (doc.title, doc.outlet, doc.section, doc.source) == (
        "", "Al Arabiya (العربية.نت)", "politics", str(tmp_path / "alarabiya-sanad-004.md"),
    )


def test_html_file_outlet_from_og_site_name(tmp_path):
    doc = only_article(write(tmp_path / "a.html", (
        '<html><head><meta property="og:site_name" content="Harbour Times"><title>T</title></head>'
        "<body><p>Body.</p></body></html>"
    )))
    assert doc.outlet == "Harbour Times"


def test_json_outlet_and_section(tmp_path):
    doc = only_article(write(tmp_path / "a.json", json.dumps({"text": "Body.", "outlet": "Harbour Times", "section": "Sport"})))
    assert (doc.outlet, doc.section) == ("Harbour Times", "Sport")
