"""How an answer names its source: title, then outlet, author and date; an untitled article by its outlet."""

import pytest

from rag.answer import attribution
from records import Answer, Chunk, Passage


def passage(title="", outlet="", author="", published="2026-03-14"):
    chunk = Chunk(id="a:0", article_id="a", index=0, text="نص.", start=0, end=3, title=title,
                  source="data/alarabiya-sanad-004.md", author=author, published=published, outlet=outlet)
    return Passage(chunk, 0.9)


@pytest.mark.parametrize("language, args, expected", [
    ("ar", ("محطة التحلية", "العربية.نت", "سلمى حداد"), "بحسب «محطة التحلية» (العربية.نت، سلمى حداد، 2026-03-14): "),
    ("en", ("Bridge closes", "Harbour Times", ""), 'According to "Bridge closes" (Harbour Times, 2026-03-14): '),
    ("ar", ("", "العربية.نت", ""), "بحسب العربية.نت (2026-03-14): "),
    ("en", ("", "Al Arabiya (العربية.نت)", "Omar"), "According to Al Arabiya (العربية.نت) (Omar, 2026-03-14): "),
    ("en", ("", "", ""), "According to the article (2026-03-14): "),
])
def test_attribution_names_title_or_outlet_never_the_file(language, args, expected):
    said = attribution(passage(*args), language)
    assert said == expected and "alarabiya-sanad" not in said


def test_passages_in_json_carry_outlet_and_section():
    answer = Answer("q", "a", False, [passage("T", "Harbour Times")])
    row = answer.to_json()["passages"][0]
    assert (row["outlet"], row["section"], row["title"]) == ("Harbour Times", "", "T")
