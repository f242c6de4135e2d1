"""The chat at /: a Gradio Blocks page over the same Sanad the API uses.

Messages are HTML built by web/render.py (everything from articles and users escaped there); the Chatbot
renders them without Markdown, and Gradio's own sanitizer is a second guard, not the first."""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

from errors import SanadError
from rag.conversation import Turn
from rag.pipeline import MAX_K, MAX_QUESTION_CHARS
from records import Filters
from web.guards import RateLimiter, client_address
from web.render import answer_html, notice_html, question_html, streaming_html
from web import STATIC
from web.service import Sanad

_EXAMPLE_SLOTS = 4

EMPTY_STORE = (
    "No articles yet. Add some from the command line; the chat answers from them within seconds:\n"
    "    python -m ingest path/to/articles\n"
    "or send them to POST /api/articles (see /api/docs).\n"
    "لا توجد مقالات بعد. أضفها بالأمر أعلاه، وسيجيب عنها المساعد خلال ثوانٍ."
)
WELCOME = (
    "Ask about the news in Arabic or English; every answer cites its sources.\n"
    "اسأل عن الأخبار بالعربية أو الإنجليزية؛ كل إجابة تذكر مصادرها."
)


def theme() -> gr.themes.Base:
    """Our colours, and fonts from the reader's machine: Gradio's default theme fetches Google Fonts."""
    return gr.themes.Base(
        primary_hue=gr.themes.colors.teal,
        neutral_hue=gr.themes.colors.stone,
        radius_size=gr.themes.sizes.radius_lg,
        font=["Inter", "Segoe UI", "Noto Sans Arabic", "Noto Naskh Arabic", "Tahoma", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    )


def _filters(published_from: str | None, published_to: str | None, sources: list[str] | None) -> Filters:
    return Filters((published_from or "").strip(), (published_to or "").strip(), tuple(sources or ()))


def build_chat(sanad: Sanad, limiter: RateLimiter) -> gr.Blocks:
    """The chat page; its questions count against `limiter`, which the API shares."""

    def respond(
        message: str, shown: list, turns: list[Turn], published_from: str, published_to: str, sources: list[str],
        request: gr.Request,
    ) -> Iterator[tuple]:
        question = (message or "").strip()
        if not question:
            yield "", shown, turns
            return
        shown = [*shown, {"role": "user", "content": question_html(question)}]
        if wait := limiter.wait_for(client_address(request)):
            yield "", [*shown, {"role": "assistant", "content": notice_html(limiter.refusal(wait))}], turns
            return
        reply = {"role": "assistant", "content": streaming_html(question, "")}
        yield "", [*shown, reply], turns
        written = ""
        try:
            for event in sanad.stream(question, None, _filters(published_from, published_to, sources), turns):
                if event["event"] == "delta":
                    written += event["text"]
                    reply = {"role": "assistant", "content": streaming_html(question, written)}
                    yield "", [*shown, reply], turns
                else:
                    answer = event["answer"]
                    reply = {"role": "assistant", "content": answer_html(answer, len(turns) + 1)}
                    turns = [*turns, Turn.of(question, answer)]
        except SanadError as error:
            reply = {"role": "assistant", "content": notice_html(str(error))}
        yield "", [*shown, reply], turns

    def refresh():
        """What depends on the store, read again at each page load: ingest may have run since startup."""
        empty = not sanad.store.count()
        examples = [] if empty else sanad.examples()
        buttons = [
            gr.Button(value=examples[i], visible=True) if i < len(examples) else gr.Button(visible=False)
            for i in range(_EXAMPLE_SLOTS)
        ]
        placeholder = notice_html(EMPTY_STORE if empty else WELCOME)
        return [gr.Chatbot(placeholder=placeholder), gr.Dropdown(choices=sanad.sources()), *buttons]

    def ask_api(question: str, k: int = 5, request: gr.Request = None) -> dict:
        """Answer a question; the same JSON as POST /api/ask."""
        if wait := limiter.wait_for(client_address(request)):
            raise gr.Error(limiter.refusal(wait))
        if not 1 <= k <= MAX_K:
            raise gr.Error(f"k must be between 1 and {MAX_K}")
        try:
            return sanad.ask(question, k).to_json()
        except SanadError as error:
            raise gr.Error(str(error)) from None

    # Analytics off here, not only by environment: the app makes no request outside the machine however it is started.
    with gr.Blocks(title="Sanad · سند", fill_height=True, elem_id="sanad", analytics_enabled=False) as page:
        with gr.Row(elem_id="sanad-header"):
            gr.HTML(
                '<div class="sanad-brand"><span class="sanad-logo">سند</span>'
                '<span><b>Sanad</b><small>Answers from the news, with their sources</small></span></div>'
            )
            new_chat = gr.Button("New conversation · محادثة جديدة", elem_id="sanad-new", scale=0)
        chatbot = gr.Chatbot(
            elem_id="sanad-chat", render_markdown=False, show_label=False, buttons=[], feedback_options=None,
            height="62vh", layout="bubble", placeholder=notice_html(WELCOME),
        )
        with gr.Row(elem_id="sanad-examples"):
            examples = [gr.Button(visible=False, size="sm", elem_classes="sanad-example") for _ in range(_EXAMPLE_SLOTS)]
        with gr.Row(elem_id="sanad-ask"):
            box = gr.Textbox(
                placeholder="Ask a question… · اكتب سؤالك…", show_label=False, lines=1, max_lines=6, scale=8,
                elem_id="sanad-input", autofocus=True, max_length=MAX_QUESTION_CHARS,
            )
            send = gr.Button("Ask · اسأل", variant="primary", scale=1, elem_id="sanad-send")
        with gr.Accordion("Filters · تصفية", open=False, elem_id="sanad-filters"):
            with gr.Row():
                published_from = gr.Textbox(
                    label="From (YYYY-MM-DD)", placeholder="2026-01-01", max_length=10, elem_id="sanad-from"
                )
                published_to = gr.Textbox(
                    label="To (YYYY-MM-DD)", placeholder="2026-12-31", max_length=10, elem_id="sanad-to"
                )
                sources = gr.Dropdown(label="Sources", choices=[], multiselect=True, elem_id="sanad-sources")
        turns = gr.State([])

        inputs = [chatbot, turns, published_from, published_to, sources]
        outputs = [box, chatbot, turns]
        for trigger in (box.submit, send.click):
            trigger(respond, [box, *inputs], outputs, api_visibility="private")
        for button in examples:
            button.click(respond, [button, *inputs], outputs, api_visibility="private")
        new_chat.click(lambda: ("", [], []), None, outputs, api_visibility="private")
        chatbot.clear(lambda: [], None, turns, api_visibility="private")
        page.load(refresh, None, [chatbot, sources, *examples], api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return page


def page_assets() -> dict:
    """The chat's CSS and script, for gr.mount_gradio_app."""
    return {
        "css": (STATIC / "chat.css").read_text(encoding="utf-8"),
        "head": f"<script>{(STATIC / 'chat.js').read_text(encoding='utf-8')}</script>",
        "theme": theme(),
    }
