// Sanad's chat widget. A publisher adds one tag to any page:
//   <script src="https://SANAD_HOST/widget.js" data-title="…" data-lang="ar" data-theme="light"
//           data-position="bottom-left" data-key="…" data-article="auto" async></script>
// With data-article="auto" on an article's page (or data-article="URL" naming the article), questions are answered
// from that article first, and from every article when it does not answer.
// It adds <sanad-chat>, a web component whose shadow DOM keeps the page's CSS and ours apart. Everything from
// the server is put on the page as text (textContent), and only http(s) addresses become links.
(() => {
  "use strict";
  const script = document.currentScript || [...document.scripts].find((s) => /\/widget\.js(\?|$)/.test(s.src));
  if (!script || customElements.get("sanad-chat")) return;
  const server = new URL(script.src, location.href).origin;
  const data = script.dataset;
  const lang = (data.lang || document.documentElement.lang || "en").toLowerCase();
  const rtl = /^(ar|fa|ur|he)/.test(lang);
  const options = {
    title: data.title || (rtl ? "اسأل سند" : "Ask Sanad"),
    dark: data.theme === "dark",
    left: data.position === "bottom-left",
    key: data.key || "",
  };
  const WORDS = {
    ar: {
      open: "افتح المحادثة", close: "أغلق", reset: "محادثة جديدة", ask: "اسأل", placeholder: "اكتب سؤالك…",
      sources: "المصادر", closest: "أقرب المقاطع (لا تجيب عن السؤال)", link: "المصدر ↗",
      offline: "المساعد غير متاح على هذا الموقع الآن.", failed: "تعذّر الحصول على إجابة.", by: "مدعوم من سند",
      hello: "اسأل عن الأخبار، وستجد مع كل إجابة مصادرها.", about: "اسأل عن هذا المقال", also: "منشور أيضاً في:",
    },
    en: {
      open: "Open the chat", close: "Close", reset: "New conversation", ask: "Ask", placeholder: "Ask a question…",
      sources: "Sources", closest: "Closest passages (they do not answer the question)", link: "Source ↗",
      offline: "The assistant is not available on this site right now.", failed: "No answer could be fetched.",
      by: "Powered by Sanad", hello: "Ask about the news; every answer shows its sources.",
      about: "Ask about this article", also: "Also published at:",
    },
  };
  const words = rtl ? WORDS.ar : WORDS.en;
  const STORAGE = `sanad-widget:${server}`;
  const ARABIC = /[\u0600-\u06FF]/;

  const STYLE = `
    :host { all: initial; position: fixed; bottom: 20px; ${options.left ? "left" : "right"}: 20px; z-index: 2147483000;
      --bg: #fffdf8; --ink: #1c2b2d; --muted: #5f6b6d; --accent: #0f766e; --soft: #ccfbf1; --line: #e5e0d8; --mark: #fde68a;
      --user: #e7f5f3; font: 15px/1.55 "Segoe UI", "Noto Sans Arabic", Tahoma, system-ui, sans-serif; color: var(--ink); }
    :host(.dark) { --bg: #1b2426; --ink: #eef2f1; --muted: #a3b1b3; --accent: #2dd4bf; --soft: #134e4a; --line: #334346; --mark: #854d0e; --user: #23393a; }
    * { box-sizing: border-box; }
    button { font: inherit; cursor: pointer; }
    .launcher { width: 56px; height: 56px; border-radius: 50%; border: 0; background: var(--accent); color: #fff;
      box-shadow: 0 6px 20px rgba(0,0,0,.25); font-size: 24px; display: grid; place-items: center; }
    .panel { position: absolute; bottom: 70px; ${options.left ? "left" : "right"}: 0; width: 380px; height: min(600px, 80vh);
      background: var(--bg); color: var(--ink); border: 1px solid var(--line); border-radius: 16px; display: flex;
      flex-direction: column; overflow: hidden; box-shadow: 0 12px 40px rgba(0,0,0,.25); }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; background: var(--accent); color: #fff; }
    header .title { flex: 1; font-weight: 600; }
    header button { border: 0; background: transparent; color: #fff; font-size: 18px; padding: 2px 6px; border-radius: 6px; }
    header button:hover, header button:focus-visible { background: rgba(255,255,255,.2); }
    .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 10px; }
    .msg { max-width: 92%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; text-align: start; }
    .user { align-self: flex-end; background: var(--user); }
    .bot { align-self: flex-start; border: 1px solid var(--line); }
    .note, .hello { color: var(--muted); font-size: 13px; }
    .error { color: #b91c1c; }
    .cite { border: 0; background: var(--soft); color: var(--accent); font-weight: 600; font-size: 12px; border-radius: 6px; padding: 0 5px; margin: 0 2px; }
    .sources { margin: 8px 0 0; padding: 6px 0 0; border-top: 1px solid var(--line); list-style: none; white-space: normal; }
    .sources .head { font-size: 11px; letter-spacing: .05em; text-transform: uppercase; color: var(--muted); }
    .sources li { margin: 4px 0; }
    .sources summary { cursor: pointer; font-size: 13px; }
    .sources .n { display: inline-grid; place-items: center; min-width: 18px; height: 18px; border-radius: 50%; background: var(--accent);
      color: var(--bg); font-size: 11px; font-weight: 700; margin-inline-end: 6px; }
    .sources .byline { color: var(--muted); font-size: 12px; }
    .sources blockquote { margin: 4px 0; padding: 4px 8px; border-inline-start: 3px solid var(--accent); font-size: 13px; }
    .sources mark { background: var(--mark); color: inherit; }
    .sources a { color: var(--accent); font-size: 12px; }
    .sources .also { font-size: 12px; color: var(--muted); }
    .about { padding: 8px 12px; background: var(--soft); border-bottom: 1px solid var(--line); font-size: 13px; }
    .about .headline { display: block; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .flash { outline: 2px solid var(--accent); border-radius: 6px; }
    form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid var(--line); }
    textarea { flex: 1; resize: none; height: 42px; max-height: 120px; padding: 9px 10px; border: 1px solid var(--line); border-radius: 10px;
      font: inherit; color: var(--ink); background: transparent; unicode-bidi: plaintext; text-align: start; }
    textarea:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
    form button { border: 0; border-radius: 10px; padding: 0 14px; background: var(--accent); color: #fff; font-weight: 600; }
    form button:disabled { opacity: .5; cursor: wait; }
    footer { text-align: center; font-size: 11px; color: var(--muted); padding: 0 0 6px; }
    @media (max-width: 480px) {
      :host { bottom: 12px; ${options.left ? "left" : "right"}: 12px; }
      .panel { position: fixed; inset: 0; width: 100vw; height: 100dvh; border-radius: 0; border: 0; }
    }`;

  // One element created from a tag, attributes and children; strings become text nodes, never markup.
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  // Text as nodes, with each of `pieces` (quotes, titles) in its own direction isolate, so an English quote
  // keeps its word order inside an Arabic answer, and ISO dates left to right (2026-03-14, not 14-03-2026).
  function isolated(text, pieces) {
    const quoted = [...new Set(pieces.filter(Boolean))].sort((a, b) => b.length - a.length)
      .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    const pattern = new RegExp([...quoted, "\\d{4}-\\d{2}-\\d{2}"].join("|"), "g");
    const nodes = [];
    let at = 0;
    for (const found of text.matchAll(pattern)) {
      const date = /^\d{4}-\d{2}-\d{2}$/.test(found[0]);
      nodes.push(text.slice(at, found.index), el("span", { dir: date ? "ltr" : "auto" }, found[0]));
      at = found.index + found[0].length;
    }
    nodes.push(text.slice(at));
    return nodes;
  }

  function bubbleIcon() {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h10V9H7zm0 4v2h7v-2H7z");
    svg.append(path);
    return svg;
  }

  function webAddress(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  // The address of the page's article: data-article's URL, or for "auto" the page's canonical URL, else its
  // og:url, else where the page is; null when there is none or it is not a web address.
  function articleAddress() {
    const given = (data.article || "").trim();
    if (!given) return null;
    const canonical = document.querySelector('link[rel~="canonical"][href]');
    const og = document.querySelector('meta[property="og:url"][content]');
    const found = given !== "auto" ? given
      : canonical ? canonical.getAttribute("href") : og ? og.getAttribute("content") : location.href;
    try {
      const url = new URL(found, location.href);
      url.hash = "";
      return webAddress(url.href);
    } catch {
      return null;
    }
  }

  class SanadChat extends HTMLElement {
    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.state = this.load();
    }

    connectedCallback() {
      if (options.dark) this.classList.add("dark");
      const root = this.root;
      root.append(el("style", {}, STYLE));
      this.launcher = el("button", { class: "launcher", "aria-label": words.open, "aria-expanded": "false" }, bubbleIcon());
      this.log = el("div", { class: "log", role: "log", "aria-live": "polite" });
      this.input = el("textarea", { rows: "1", maxlength: "2000", placeholder: words.placeholder, "aria-label": words.placeholder, dir: "auto" });
      this.send = el("button", { type: "submit" }, words.ask);
      this.form = el("form", {}, this.input, this.send);
      const reset = el("button", { class: "reset", title: words.reset, "aria-label": words.reset }, "↺");
      const close = el("button", { class: "close", title: words.close, "aria-label": words.close }, "×");
      this.about = el("div", { class: "about", hidden: "" });
      this.panel = el(
        "section", { class: "panel", role: "dialog", "aria-label": options.title, dir: rtl ? "rtl" : "ltr", lang },
        el("header", {}, el("span", { class: "title" }, options.title), reset, close),
        this.about, this.log, this.form, el("footer", {}, words.by),
      );
      this.panel.hidden = !this.state.open;
      root.append(this.launcher, this.panel);
      this.launcher.addEventListener("click", () => this.toggle(this.panel.hidden));
      close.addEventListener("click", () => this.toggle(false));
      reset.addEventListener("click", () => {
        this.state = { open: true, messages: [], history: [] };
        this.save();
        this.redraw();
      });
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.ask(this.input.value.trim());
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.form.requestSubmit();
        }
      });
      this.redraw();
      this.findArticle();
    }

    // Whether the page's article is stored; when it is, the panel says so and questions name it.
    async findArticle() {
      const address = articleAddress();
      if (!address) return;
      try {
        const response = await fetch(`${server}/api/articles/at?url=${encodeURIComponent(address)}`);
        if (!response.ok) return; // not stored (404), or this site may not use Sanad: the panel stays as it is
        const article = await response.json();
        this.article = address;
        this.about.replaceChildren(words.about, el("span", { class: "headline", dir: "auto" }, article.title || ""));
        this.about.hidden = false;
      } catch {} // Sanad unreachable: a question's own request will say why
    }

    toggle(open) {
      this.panel.hidden = !open;
      this.launcher.setAttribute("aria-expanded", String(open));
      this.state.open = open;
      this.save();
      if (open) this.input.focus();
    }

    load() {
      try {
        const saved = JSON.parse(sessionStorage.getItem(STORAGE));
        if (saved && Array.isArray(saved.messages) && Array.isArray(saved.history)) return saved;
      } catch {}
      return { open: false, messages: [], history: [] };
    }

    save() {
      try {
        sessionStorage.setItem(STORAGE, JSON.stringify(this.state));
      } catch {} // storage full or blocked: the conversation still works, it just does not survive a reload
    }

    redraw() {
      this.log.replaceChildren();
      if (!this.state.messages.length) this.log.append(el("div", { class: "hello" }, words.hello));
      for (const message of this.state.messages) this.log.append(this.render(message));
      this.log.scrollTop = this.log.scrollHeight;
    }

    render(message) {
      if (message.role === "user") return el("div", { class: "msg user", dir: "auto" }, message.text);
      if (message.error) return el("div", { class: "msg bot error", dir: "auto" }, message.error);
      const bubble = el("div", { class: "msg bot", dir: ARABIC.test(message.question || "") ? "rtl" : "ltr" });
      const answer = message.answer;
      if (!answer) {
        bubble.append(message.text || "…");
        return bubble;
      }
      const sources = this.sources(answer);
      const quoted = [...answer.citations.map((c) => c.text), ...answer.passages.filter((p) => sources.items.has(p.n)).flatMap((p) => [p.title, p.outlet || ""])];
      for (const part of answer.answer.split(/(\[\d+\])/)) {
        const n = /^\[(\d+)\]$/.exec(part);
        const target = n && sources.items.get(Number(n[1]));
        if (!target) {
          bubble.append(...isolated(part, quoted));
          continue;
        }
        const cite = el("button", { class: "cite", type: "button", "aria-label": `${words.sources} ${n[1]}` }, part);
        cite.addEventListener("click", () => {
          target.open = true;
          target.scrollIntoView({ block: "nearest" });
          target.classList.add("flash");
          setTimeout(() => target.classList.remove("flash"), 1200);
        });
        bubble.append(cite);
      }
      for (const note of answer.notes || []) bubble.append(el("div", { class: "note" }, note));
      if (sources.list) bubble.append(sources.list);
      return bubble;
    }

    // The cited passages (or, when Sanad abstained, the closest ones) as a list under the answer.
    sources(answer) {
      const spans = new Map();
      for (const c of answer.citations || []) spans.set(c.n, [...(spans.get(c.n) || []), c.text]);
      const numbers = spans.size ? [...spans.keys()].sort((a, b) => a - b) : answer.passages.map((p) => p.n);
      const items = new Map();
      if (!numbers.length) return { items, list: null };
      const list = el("ul", { class: "sources" }, el("li", { class: "head" }, answer.abstained ? words.closest : words.sources));
      for (const n of numbers) {
        const passage = answer.passages.find((p) => p.n === n);
        if (!passage) continue;
        // The outlet heads an untitled article's citation and joins the byline of a titled one.
        const name = passage.title || passage.outlet || "";
        const byline = [passage.title ? passage.outlet : "", passage.author, passage.published].filter(Boolean).join(" · ");
        const quote = el("blockquote", { dir: "auto" });
        for (const text of spans.get(n) || [passage.text.slice(0, 280)]) quote.append(el("mark", {}, text), " ");
        const url = webAddress(passage.url || "");
        // Other sites that ran the story (near-duplicates kept as alternate sources), named by their host.
        const alternates = (passage.alternates || []).map(webAddress).filter(Boolean).map((address) => [
          " ", el("a", { href: address, target: "_blank", rel: "noopener noreferrer nofollow", dir: "ltr" }, new URL(address).host),
        ]);
        const also = alternates.length ? el("div", { class: "also" }, words.also, ...alternates.flat()) : null;
        const item = el(
          "details", { "data-n": String(n) },
          el("summary", { dir: "auto" }, el("span", { class: "n" }, String(n)), name, " ",
            byline ? el("span", { class: "byline" }, ...isolated(byline, [])) : null),
          quote,
          url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, words.link) : null,
          also,
        );
        items.set(n, item);
        list.append(el("li", {}, item));
      }
      return { items, list };
    }

    // The parts of an answer worth keeping across pages: sessionStorage is small.
    kept(answer) {
      const cited = new Set((answer.citations || []).map((c) => c.n));
      return {
        answer: answer.answer, abstained: answer.abstained, notes: answer.notes,
        citations: (answer.citations || []).map(({ n, text }) => ({ n, text })),
        passages: answer.passages
          .filter((p) => cited.has(p.n) || !cited.size)
          .map(({ n, title, outlet, author, published, url, alternates, text }) => ({
            n, title, outlet, author, published, url, alternates, text: cited.size ? "" : text.slice(0, 280),
          })),
      };
    }

    async ask(question) {
      if (!question || this.send.disabled) return;
      this.input.value = "";
      this.send.disabled = true;
      this.state.messages.push({ role: "user", text: question });
      const reply = { role: "bot", question, text: "" };
      this.state.messages.push(reply);
      this.redraw();
      const bubble = this.log.lastElementChild;
      try {
        const headers = { "Content-Type": "application/json" };
        if (options.key) headers["X-Sanad-Key"] = options.key;
        const response = await fetch(`${server}/api/ask/stream`, {
          method: "POST", headers,
          body: JSON.stringify({ question, history: this.state.history.slice(-6), article_url: this.article }),
        });
        if (!response.ok) {
          const problem = await response.json().catch(() => ({}));
          throw new Error(problem.error || words.failed);
        }
        await this.read(response, (event, payload) => {
          if (event === "delta") {
            reply.text += payload.text;
            bubble.textContent = reply.text;
            this.log.scrollTop = this.log.scrollHeight;
          } else if (event === "answer") {
            reply.answer = this.kept(payload);
            const first = payload.citations && payload.citations[0];
            const cited = first && payload.passages.find((p) => p.n === first.n);
            this.state.history.push({ question, answer: payload.answer, source_title: cited ? cited.title : "" });
          } else if (event === "error") {
            throw new Error(payload.error);
          }
        });
        if (!reply.answer) throw new Error(words.failed);
      } catch (error) {
        // A refused cross-site request (an origin not on SANAD_ALLOWED_ORIGINS) surfaces as a TypeError.
        reply.error = error instanceof TypeError ? words.offline : error.message;
        if (error instanceof TypeError) console.warn(`Sanad: cannot reach ${server} from ${location.origin}`, error);
      }
      this.send.disabled = false;
      this.save();
      bubble.replaceWith(this.render(reply));
      this.log.scrollTop = this.log.scrollHeight;
    }

    // Server-Sent Events from a fetch body: blocks separated by a blank line, "event:" and "data:" fields.
    async read(response, handle) {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block);
          const payload = /^data: (.*)$/m.exec(block);
          if (event && payload) handle(event[1], JSON.parse(payload[1]));
        }
      }
    }
  }

  customElements.define("sanad-chat", SanadChat);
  const mount = () => document.body.append(document.createElement("sanad-chat"));
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
