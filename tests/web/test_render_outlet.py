"""The chat names each source's outlet: beside the title, or in its place for an untitled article."""

from records import Answer, Chunk, Citation, Passage
from web.render import answer_html


def _answer(title: str) -> Answer:
    text = "افتتح الوزير المحطة."
    chunk = Chunk(id="c1", article_id="a1", index=0, text=text, start=0, end=len(text), title=title,
                  source="data/alarabiya-sanad-004.md", author="سلمى", published="2026-03-14", outlet="<b>العربية.نت</b>")
    return Answer("ماذا افتتح الوزير؟", f"بحسب المصدر: {text} [1]", False, [Passage(chunk, 0.9)],
                  [Citation(1, "c1", "a1", 0, len(text), text)])


def test_outlet_joins_the_byline_of_a_titled_article():
    markup = answer_html(_answer("محطة التحلية"), turn=1)
    assert '<span class="sanad-title" dir="auto">محطة التحلية</span>' in markup
    assert '<span class="sanad-byline" dir="auto">&lt;b&gt;العربية.نت&lt;/b&gt; · سلمى · <span dir="ltr">2026-03-14</span></span>' in markup


def test_an_untitled_article_is_named_by_its_outlet_not_its_file():
    markup = answer_html(_answer(""), turn=1)
    assert '<span class="sanad-title" dir="auto">&lt;b&gt;العربية.نت&lt;/b&gt;</span>' in markup
    assert '<span class="sanad-byline" dir="auto">سلمى · <span dir="ltr">2026-03-14</span></span>' in markup
    assert "alarabiya-sanad-004</span>" not in markup.split("sanad-context")[0]
