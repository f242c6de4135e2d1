"""The chat's HTML: article and user text escaped, only web addresses linked, each [n] tied to its source."""

from __future__ import annotations

import re
from dataclasses import replace

from records import Answer, Chunk, Citation, Passage
from web.render import answer_html, question_html, web_address

HOSTILE = (
    "Intro. <script>window.__pwned=1</script> The budget is 3.2 million dinars. "
    "<img src=x onerror=\"window.__pwned=2\"> [click](javascript:window.__pwned=3)\n\n<b>bold</b> end."
)


def _answer(url: str = "javascript:window.__pwned=4", question: str = "How much is the budget?") -> Answer:
    chunk = Chunk(
        id="c1", article_id="a1", index=0, text=HOSTILE, start=100, end=100 + len(HOSTILE),
        title='<img src=x onerror="window.__pwned=5">Budget', source="news/budget.md",
        author="<script>alert(1)</script>Mallory", published="2026-04-02", url=url,
    )
    quoted = "The budget is 3.2 million dinars."
    start = 100 + HOSTILE.index(quoted)
    return Answer(
        question=question, text=f"According to the article: {quoted} [1] And <i>more</i> [7]", abstained=False,
        passages=[Passage(chunk, 0.9)], citations=[Citation(1, "c1", "a1", start, start + len(quoted), quoted)],
    )


def _tags(markup: str) -> set[str]:
    return set(re.findall(r"<([a-z]+)[\s>]", markup))


def test_article_text_is_escaped_everywhere():
    markup = answer_html(_answer(), turn=3)
    assert _tags(markup) <= {"div", "span", "a", "details", "summary", "mark", "br"}
    assert "onerror" not in markup.replace("onerror=&quot;", "") and "<script" not in markup and "<img" not in markup
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in markup and "&lt;i&gt;more&lt;/i&gt;" in markup
    # Markdown is not a way in either: the link syntax stays text, and no blank line ends the HTML block.
    assert "[click](javascript:window.__pwned=3)" in markup and "\n" not in markup


def test_only_web_addresses_become_links():
    assert 'href="javascript' not in answer_html(_answer(), 1)
    assert "news/budget.md" in answer_html(_answer(), 1)  # no link: the source is named instead
    linked = answer_html(_answer(url='https://example.org/a?b=1&c="x"'), 1)
    assert 'href="https://example.org/a?b=1&amp;c=&quot;x&quot;"' not in linked  # quotes make it no address
    assert 'class="sanad-link"' not in linked  # and so no link at all
    assert 'href="https://example.org/budget"' in answer_html(_answer(url="https://example.org/budget"), 1)
    assert web_address("JAVASCRIPT:alert(1)") is None and web_address("data:text/html,x") is None


def test_each_marker_links_to_its_source_with_the_span_marked():
    markup = answer_html(_answer(), turn=3)
    assert '<a class="sanad-cite" href="#sanad-3-1">[1]</a>' in markup
    assert '<details class="sanad-source" id="sanad-3-1">' in markup
    assert "<mark>The budget is 3.2 million dinars.</mark>" in markup
    assert "[7]" in markup and "#sanad-3-7" not in markup  # a number with no passage stays text
    assert '<span dir="ltr">2026-04-02</span>' in markup


def test_messages_take_the_direction_of_their_language():
    assert question_html("ما هي الميزانية؟").startswith('<div class="sanad-q" dir="rtl">')
    assert question_html("<b>What</b> is it?") == '<div class="sanad-q" dir="ltr">&lt;b&gt;What&lt;/b&gt; is it?</div>'
    assert answer_html(_answer(question="كم الميزانية؟"), 1).startswith('<div class="sanad-a" dir="rtl">')
    assert answer_html(_answer(), 1).startswith('<div class="sanad-a" dir="ltr">')


def test_other_sites_that_ran_the_story_are_links_named_by_their_host():
    answer = _answer(url="https://example.org/budget")
    hostile = ("javascript:window.__pwned=6", 'https://evil.example/"><img src=x>', "data:text/html,<b>x</b>")
    answer.passages = [Passage(answer.passages[0].chunk, 0.9, ("https://wire.example/budget?id=1&p=2", *hostile))]
    markup = answer_html(answer, 1)
    assert '<div class="sanad-also" dir="auto">Also published at: <a class="sanad-alternate" ' in markup
    assert 'href="https://wire.example/budget?id=1&amp;p=2"' in markup and ">wire.example</a>" in markup
    assert markup.count('class="sanad-alternate"') == 1  # only the web address is linked; the others are left out
    also = markup[markup.index('<div class="sanad-also"'):]
    assert "evil.example" not in also and "<img" not in also and "javascript:" not in also and "data:" not in also
    assert "منشور أيضاً في:" in answer_html(replace(answer, question="كم الميزانية؟"), 1)
    assert "sanad-also" not in answer_html(_answer(), 1)  # no copies, no line
