"""Sanad in a real browser (Debian's chromium driven by Playwright): the chat, the widget on other sites, and
the hostile article. Screenshots go to test-artifacts/ for people to look at."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import ROOT, free_port
from tests.web.conftest import HOSTILE_QUESTION, WIRE_STORY

ARTIFACTS = ROOT / "test-artifacts"
ARABIC_QUESTION = "كم طناً أنتج الهكتار الواحد هذا العام؟"
ENGLISH_QUESTION = "When did the city museum reopen?"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TEAL = "rgb(15, 118, 110)"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


class Watched:
    """A page, with every request that left 127.0.0.1 and every script error it raised."""

    def __init__(self, browser, viewport):
        self.context = browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._request)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _request(self, request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            self.outside.append(request.url)

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def watched(browser):
    """Opens watched pages; each must end with no outside request and no script error."""
    opened: list[Watched] = []

    def open_page(viewport=DESKTOP) -> Watched:
        opened.append(Watched(browser, viewport))
        return opened[-1]

    yield open_page
    for page in opened:
        page.context.close()
        assert page.outside == [], "requests left the machine"
        assert page.errors == [], "the page raised script errors"


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class Site:
    """Another origin: pages on their own local port that embed the widget."""

    def __init__(self, port: int, folder: Path):
        self.folder = folder
        handler = functools.partial(_QuietFiles, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _site(port: int, folder: Path, app_url: str, lang: str) -> Site:
    folder.mkdir()
    tag = f'<script src="{app_url}/widget.js" data-title="Newsroom assistant" data-lang="{lang}" data-position="bottom-right" async></script>'
    for name, heading in (("index.html", "Front page"), ("story.html", "Another story")):
        (folder / name).write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{heading}</title>"
            "<style>button { background: hotpink !important; } .panel { display: none !important; }</style></head>"
            f"<body><h1>{heading}</h1><button id='own'>The page's own button</button>"
            f"<a id='next' href='story.html'>Next story</a>{tag}</body></html>",
            encoding="utf-8",
        )
    return Site(port, folder)


@pytest.fixture(scope="session")
def allowed_site(app_url, widget_site_port, tmp_path_factory) -> Site:
    site = _site(widget_site_port, tmp_path_factory.mktemp("sites") / "allowed", app_url, "en")
    yield site
    site.server.shutdown()


@pytest.fixture(scope="session")
def refused_site(app_url, tmp_path_factory) -> Site:
    site = _site(free_port(), tmp_path_factory.mktemp("sites") / "refused", app_url, "ar")
    yield site
    site.server.shutdown()


# --- the chat --------------------------------------------------------------------------------------------

_RECORD_STREAMING = """() => {
    window.__streamed = [];
    new MutationObserver(() => {
        for (const node of document.querySelectorAll('.sanad-streaming')) window.__streamed.push(node.textContent);
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


_FINISHED = "[data-testid='bot'] :is(.sanad-a:not(.sanad-streaming), .sanad-notice)"  # not the placeholder


def _ask_in_chat(page, question: str) -> None:
    """Ask, and wait until the answer (or a notice) has replaced the one being written."""
    before = page.locator(_FINISHED).count()
    page.locator("#sanad-input textarea").fill(question)
    page.locator("#sanad-input textarea").press("Enter")
    page.wait_for_function(f"document.querySelectorAll(`{_FINISHED}`).length > {before}", timeout=60_000)


def _open_chat(watched, app_url, viewport=DESKTOP) -> Watched:
    view = watched(viewport)
    view.page.goto(f"{app_url}/", wait_until="load")
    view.page.locator("#sanad-input textarea").wait_for()
    view.page.locator(".sanad-example").first.wait_for()  # the page has loaded what depends on the store
    view.page.evaluate(_RECORD_STREAMING)
    return view


def test_chat_streams_cited_answers_in_arabic_and_english(watched, app_url):
    view = _open_chat(watched, app_url)
    page = view.page
    _ask_in_chat(page, ARABIC_QUESTION)
    # The answer was shown while it was being written, before its citations were linked.
    assert any(0 < len(text) < len(page.locator(".sanad-text").last.inner_text()) for text in page.evaluate("window.__streamed"))
    answer = page.locator(".sanad-a").last
    assert answer.get_attribute("dir") == "rtl" and answer.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator(".sanad-q").last.get_attribute("dir") == "rtl"
    assert "طن" in answer.inner_text()
    source = answer.locator("details.sanad-source").first
    assert not source.evaluate("e => e.open")
    answer.locator("a.sanad-cite").first.click()
    assert source.evaluate("e => e.open")
    highlighted = source.locator("mark").first
    highlighted.wait_for(state="visible")
    assert highlighted.inner_text().strip() in answer.locator(".sanad-text").inner_text()
    view.screenshot("chat-arabic-desktop")

    _ask_in_chat(page, ENGLISH_QUESTION)
    answer = page.locator(".sanad-a").last
    assert answer.get_attribute("dir") == "ltr" and "Saturday" in answer.inner_text()
    answer.locator("a.sanad-cite").first.click()
    opened = answer.locator("details.sanad-source[open]").first
    assert "City museum reopens" in opened.locator(".sanad-title").inner_text()
    link = opened.locator("a.sanad-link")
    assert link.get_attribute("href") == "https://example.org/news/museum-reopens"
    assert opened.locator(".sanad-byline").inner_text() == "Nadia Karim · 2026-08-18"
    view.screenshot("chat-english-desktop")


def test_chat_follow_ups_examples_and_a_new_conversation(watched, app_url):
    page = _open_chat(watched, app_url).page
    example = page.locator(".sanad-example").first
    asked = example.inner_text()
    example.click()
    page.locator(_FINISHED).first.wait_for(timeout=60_000)
    assert page.locator(".sanad-q").first.inner_text() == asked
    page.locator("#sanad-new").click()
    page.locator(".sanad-q").first.wait_for(state="detached")
    assert page.locator(".sanad-a").count() == 0


def test_chat_filters_by_date(watched, app_url):
    page = _open_chat(watched, app_url).page
    page.get_by_text("Filters · تصفية").click()
    page.locator("#sanad-from input, #sanad-from textarea").fill("soon")
    _ask_in_chat(page, ENGLISH_QUESTION)
    assert "'soon' is not a date like 2026-03-14" in page.locator(".sanad-notice").last.inner_text()
    page.locator("#sanad-from input, #sanad-from textarea").fill("2026-09-01")
    _ask_in_chat(page, ENGLISH_QUESTION)
    # The museum article is from August: after September the articles do not answer.
    answer = page.locator(".sanad-a").last
    assert "do not clearly answer" in answer.inner_text() and "City museum" not in answer.inner_text()


def test_chat_input_follows_what_is_typed(watched, app_url):
    page = _open_chat(watched, app_url).page
    box = page.locator("#sanad-input textarea")
    # unicode-bidi: plaintext lays each paragraph out by its first strong character.
    assert box.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"
    box.fill("سؤال")
    assert box.evaluate("e => getComputedStyle(e).textAlign") == "start"


def test_chat_on_a_phone(watched, app_url):
    view = _open_chat(watched, app_url, PHONE)
    _ask_in_chat(view.page, ARABIC_QUESTION)
    view.page.locator("a.sanad-cite").first.click()
    assert view.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    view.screenshot("chat-arabic-phone")


def test_chat_on_an_empty_store_says_how_to_ingest(watched, start_app):
    url = start_app(empty=True)
    view = watched()
    view.page.goto(f"{url}/", wait_until="load")
    view.page.get_by_text("python -m ingest").wait_for()
    assert view.page.locator(".sanad-example:visible").count() == 0
    _ask_in_chat(view.page, ENGLISH_QUESTION)
    assert "no articles yet" in view.page.locator(".sanad-notice").last.inner_text()
    view.screenshot("chat-empty-store")


# --- the widget ------------------------------------------------------------------------------------------

def _open_widget(watched, site: Site, viewport=DESKTOP) -> tuple[Watched, object]:
    """A site's front page with the widget's panel opened; returns the page and the widget."""
    view = watched(viewport)
    view.page.goto(f"{site.url}/index.html", wait_until="load")
    widget = view.page.locator("sanad-chat")
    widget.locator(".launcher").click()
    return view, widget


def _ask_in_widget(page, question: str) -> None:
    widget = page.locator("sanad-chat")
    widget.locator("textarea").fill(question)
    widget.locator("textarea").press("Enter")
    # The send button is disabled while an answer comes in (synchronously, on submit) and enabled after.
    widget.locator("form button:not([disabled])").wait_for(timeout=60_000)


def test_widget_answers_on_an_allowed_site_and_keeps_the_conversation(watched, allowed_site):
    view, widget = _open_widget(watched, allowed_site)
    page = view.page
    page.evaluate("""() => {
        window.__streamed = [];
        const log = document.querySelector('sanad-chat').shadowRoot.querySelector('.log');
        new MutationObserver(() => {
            const last = log.lastElementChild;
            if (last && last.matches('.msg.bot') && !last.querySelector('.cite')) window.__streamed.push(last.textContent);
        }).observe(log, {subtree: true, childList: true, characterData: true});
    }""")
    _ask_in_widget(page, ENGLISH_QUESTION)
    answer = widget.locator(".msg.bot").last
    assert "Saturday" in answer.inner_text()
    # The deltas were shown as they came, as plain text, before the answer was drawn with its citations.
    assert any("Saturday" in text for text in page.evaluate("window.__streamed"))
    answer.locator(".cite").first.click()
    source = answer.locator("details[open]")
    assert "City museum reopens" in source.locator("summary").inner_text()
    assert source.locator("a").get_attribute("href") == "https://example.org/news/museum-reopens"
    assert source.locator("mark").first.is_visible()
    view.screenshot("widget-english-desktop")

    page.locator("#next").click()
    page.wait_for_url("**/story.html", wait_until="load")
    widget.locator(".msg.user").first.wait_for()
    assert widget.locator(".msg.user").first.inner_text() == ENGLISH_QUESTION
    assert "Saturday" in widget.locator(".msg.bot").last.inner_text()
    # A follow-up carries the conversation: "it" is the museum.
    _ask_in_widget(page, "Until what time is it open on Thursdays?")
    assert "nine" in widget.locator(".msg.bot").last.inner_text()

    page.set_viewport_size(PHONE)
    panel = widget.locator(".panel")
    assert panel.evaluate("e => e.getBoundingClientRect().width") == PHONE["width"]
    view.screenshot("widget-english-phone")


def test_widget_styles_and_page_styles_stay_apart(watched, allowed_site):
    page = watched().page
    page.goto(f"{allowed_site.url}/index.html", wait_until="load")
    launcher = page.locator("sanad-chat .launcher")
    launcher.wait_for()
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == TEAL
    assert page.locator("#own").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 105, 180)"
    launcher.click()
    # The page hides anything called .panel; the widget's panel is its own.
    assert page.locator("sanad-chat .panel").is_visible()
    assert page.evaluate("document.querySelectorAll('style').length") == 1


def test_widget_is_right_to_left_in_arabic_and_refused_on_a_site_not_allowed(watched, refused_site):
    view, widget = _open_widget(watched, refused_site)
    page = view.page
    panel = widget.locator(".panel")
    assert panel.get_attribute("dir") == "rtl" and panel.evaluate("e => getComputedStyle(e).direction") == "rtl"
    _ask_in_widget(page, ARABIC_QUESTION)
    reply = widget.locator(".msg.bot").last
    assert reply.inner_text() == "المساعد غير متاح على هذا الموقع الآن."
    assert widget.locator(".cite").count() == 0
    view.screenshot("widget-refused-arabic")


def test_widget_says_when_the_rate_limit_is_hit(watched, start_app, tmp_path):
    port = free_port()
    app_url = start_app(rate_limit_per_minute=1, allowed_origins=[f"http://127.0.0.1:{port}"])
    site = _site(port, tmp_path / "limited", app_url, "en")
    try:
        view, widget = _open_widget(watched, site)
        _ask_in_widget(view.page, ENGLISH_QUESTION)
        assert "Saturday" in widget.locator(".msg.bot").last.inner_text()
        _ask_in_widget(view.page, ENGLISH_QUESTION)
        assert "too many questions: up to 1 a minute" in widget.locator(".msg.bot").last.inner_text()
    finally:
        site.server.shutdown()


# --- the widget on an article's page ---------------------------------------------------------------------------

MUSEUM_URL = "https://example.org/news/museum-reopens"  # tests/fixtures/english/museum-reopens.md


def _article_page(site: Site, name: str, app_url: str, head: str, lang: str = "en", article: str = "auto") -> str:
    """A publisher's article page on `site`, its widget told which article it is on; returns the page's URL."""
    tag = f'<script src="{app_url}/widget.js" data-lang="{lang}" data-article="{article}" async></script>'
    (site.folder / name).write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title>{head}</head><body>"
        f"<article><h1>Today's story</h1><p>The story as the site shows it.</p></article>{tag}</body></html>",
        encoding="utf-8",
    )
    return f"{site.url}/{name}"


def _open_article(watched, url: str):
    """The page with the widget's panel opened, once the widget has asked whether the page's article is stored;
    returns the page, the widget and the address it asked about."""
    view = watched()
    with view.page.expect_response(lambda response: "/api/articles/at?" in response.url) as lookup:
        view.page.goto(url, wait_until="load")
    widget = view.page.locator("sanad-chat")
    widget.locator(".launcher").click()
    return view, widget, parse_qs(urlsplit(lookup.value.url).query)["url"][0]


def test_widget_on_a_stored_article_page_answers_from_that_article(watched, allowed_site, app_url):
    # The canonical link wins over og:url and over where the page is.
    head = f'<link rel="canonical" href="{MUSEUM_URL}"><meta property="og:url" content="https://example.org/other">'
    view, widget, asked = _open_article(watched, _article_page(allowed_site, "museum.html", app_url, head))
    assert asked == MUSEUM_URL
    about = widget.locator(".about")
    about.wait_for()
    assert about.inner_text() == "Ask about this article\nCity museum reopens after two years of roof repairs"
    _ask_in_widget(view.page, ENGLISH_QUESTION)
    answer = widget.locator(".msg.bot").last
    assert "Saturday" in answer.inner_text()
    assert answer.locator(".note").inner_text() == (
        "Answered from this article: “City museum reopens after two years of roof repairs”."
    )
    assert all("City museum reopens" in cited for cited in answer.locator("summary").all_inner_texts())
    view.screenshot("widget-on-a-stored-article")


def test_widget_on_a_page_not_stored_is_the_usual_widget(watched, allowed_site, app_url):
    head = '<meta property="og:url" content="/news/never-stored">'  # relative, as some sites write it
    view, widget, asked = _open_article(watched, _article_page(allowed_site, "unknown.html", app_url, head))
    assert asked == f"{allowed_site.url}/news/never-stored"
    assert widget.locator(".about").is_hidden()
    _ask_in_widget(view.page, ENGLISH_QUESTION)
    answer = widget.locator(".msg.bot").last
    assert "Saturday" in answer.inner_text() and answer.locator(".note").count() == 0


def test_widget_falls_back_to_every_article_and_says_so_in_arabic(watched, allowed_site, app_url):
    head = f'<link rel="canonical" href="{MUSEUM_URL}">'
    page = _article_page(allowed_site, "museum-ar.html", app_url, head, lang="ar")
    view, widget, _ = _open_article(watched, page)
    widget.locator(".about").wait_for()
    assert widget.locator(".about").inner_text().startswith("اسأل عن هذا المقال")
    # The museum article says nothing of wheat; the harvest article does.
    _ask_in_widget(view.page, ARABIC_QUESTION)
    answer = widget.locator(".msg.bot").last
    assert "طن" in answer.inner_text() and "City museum" not in answer.locator("summary").all_inner_texts()[0]
    assert answer.locator(".note").inner_text() == "لا يجيب هذا المقال عن السؤال، فالإجابة من كل المقالات."
    view.screenshot("widget-article-fallback-arabic")


def test_widget_names_its_article_by_url_and_shows_the_other_sites_that_ran_it(watched, start_app, wire_store, tmp_path):
    port = free_port()
    app_url = start_app(data_dir=wire_store.settings.data_dir, allowed_origins=[f"http://127.0.0.1:{port}"])
    (tmp_path / "wire-site").mkdir()
    site = Site(port, tmp_path / "wire-site")
    try:
        # data-article names the article by a URL: here the copy's, which finds the story it copies.
        page = _article_page(site, "ferry.html", app_url, "", article=wire_store.copy_url)
        view, widget, asked = _open_article(watched, page)
        assert asked == wire_store.copy_url
        widget.locator(".about").wait_for()
        assert WIRE_STORY["title"] in widget.locator(".about").inner_text()
        _ask_in_widget(view.page, "What does a return ticket on the night ferry cost?")
        answer = widget.locator(".msg.bot").last
        assert "eight dinars" in answer.inner_text() and "Answered from this article" in answer.inner_text()
        source = answer.locator("details").first
        source.evaluate("e => e.open = true")
        also = source.locator(".also")
        assert also.inner_text() == f"Also published at: {urlsplit(wire_store.copy_url).netloc}"
        assert also.locator("a").get_attribute("href") == wire_store.copy_url
        view.screenshot("widget-alternate-sources")
    finally:
        site.server.shutdown()


# --- the hostile article ---------------------------------------------------------------------------------

# What the hostile article would add if it were markup. Gradio's page has inline scripts of its own, so scripts
# are looked for inside the chat; the rest anywhere (the example questions are built from titles too).
_INJECTED = "img[src='x'], iframe, b[onmouseover], a[href^='javascript']"


def test_hostile_article_is_inert_in_the_chat(watched, app_url):
    view = _open_chat(watched, app_url)
    page = view.page
    _ask_in_chat(page, "<img src=x onerror=\"window.__pwned='question'\"> " + HOSTILE_QUESTION)
    assert "<img src=x" in page.locator(".sanad-q").last.inner_text()
    answer = page.locator(".sanad-a").last
    for n in range(answer.locator("details.sanad-source").count()):
        answer.locator("details.sanad-source").nth(n).evaluate("e => e.open = true")
    text = answer.inner_text()
    assert "<script>window.__pwned='script'</script>" in text and "[the full plan](javascript:" in text
    assert "Lighthouse <img src=x" in text
    answer.locator("text=Work on the lighthouse tower").first.hover()
    assert page.locator(_INJECTED).count() == page.locator("#sanad-chat script").count() == 0
    assert page.evaluate("window.__pwned") is None
    view.screenshot("chat-hostile-article")


def test_hostile_article_is_inert_in_the_widget(watched, allowed_site):
    view, widget = _open_widget(watched, allowed_site)
    page = view.page
    widget.locator(".reset").click()
    _ask_in_widget(page, HOSTILE_QUESTION)
    answer = widget.locator(".msg.bot").last
    for n in range(answer.locator("details").count()):
        answer.locator("details").nth(n).evaluate("e => e.open = true")
    assert "Lighthouse <img src=x" in answer.inner_text()
    assert widget.locator(f":is({_INJECTED}, script)").count() == 0
    assert page.evaluate("window.__pwned") is None
    view.screenshot("widget-hostile-article")
