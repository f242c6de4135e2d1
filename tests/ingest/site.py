"""A small news site for the tests, served on 127.0.0.1: article pages (Arabic and English, UTF-8, windows-1256,
ISO-8859-6), RSS 2.0, RSS 1.0 and Atom feeds, news sitemaps, robots.txt, and each way a fetch can fail.
The articles are written for these tests."""

from __future__ import annotations

import hashlib
import html
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WATER = {
    "title": "وزير المياه يفتتح محطة تحلية في المدينة الساحلية",
    "author": "سلمى حداد",
    "date": "2026-03-14",
    "paragraphs": [
        "افتتح وزير المياه صباح اليوم محطة جديدة لتحلية المياه في المدينة الساحلية، وقال إن المحطة ستخدم مئة "
        "ألف نسمة من سكان الأحياء الشرقية التي عانت من انقطاع المياه طوال الصيف الماضي.",
        "وأضاف الوزير أن المرحلة الثانية من المشروع تبدأ في الربيع المقبل بكلفة تبلغ عشرين مليون دينار، وأن "
        "المحطة تعمل بالطاقة الشمسية في ساعات النهار لتخفيض كلفة التشغيل على البلدية.",
        "وأشار مدير البلدية إلى أن شبكة الأنابيب القديمة ستستبدل خلال عامين، مؤكداً أن الأولوية للمدارس "
        "والمستشفيات في الأحياء الأكثر اكتظاظاً.",
    ],
}
HARVEST = {
    "title": "تأخر موسم حصاد القمح بسبب الأمطار",
    "author": "كريم بن علي",
    "date": "2026-06-02",
    "paragraphs": [
        "قال مدير التعاونية الزراعية إن موسم حصاد القمح تأخر أسبوعين هذا العام بسبب الأمطار الغزيرة التي "
        "هطلت في نهاية شهر أيار، وإن المزارعين ينتظرون جفاف الحقول قبل إدخال الحصادات.",
        "وأوضح أن الإنتاج المتوقع يبلغ ثلاثمئة ألف طن، وهو أعلى من إنتاج العام الماضي بنحو عشرة في المئة، "
        "بفضل البذور المحسنة التي وزعتها الوزارة على التعاونيات في الخريف.",
        "ودعا المزارعين إلى تسليم محاصيلهم إلى مراكز التجميع الرسمية حيث يدفع السعر المعلن نقداً خلال أسبوع.",
    ],
}
MUSEUM = {
    "title": "The harbour museum reopens after three years of repairs",
    "author": "Leila Mansour",
    "date": "",  # the page hides it in its text; htmldate finds it
    "paragraphs": [
        "The harbour museum reopened on Saturday after three years of repairs to its roof and its sea wall, "
        "the city's culture office said. Visitors queued from early morning to see the restored fishing boats.",
        "The director said the museum would stay open late on Thursdays during the summer, and that entry "
        "would be free for schoolchildren until the end of the year.",
        "Repairs cost four million dinars, most of it paid by a grant from the regional fund for heritage.",
    ],
}
BRIDGE = {
    "title": "Old bridge closes for inspection",
    "author": "Omar Haddad",
    "date": "2026-07-21",
    "paragraphs": [
        "The old stone bridge over the river closed on Monday for a safety inspection that will last ten days, "
        "the roads authority said, after engineers found cracks in two of its arches.",
        "Buses will cross by the new bridge to the north, adding about fifteen minutes to each journey, and "
        "a free ferry will carry pedestrians between the two markets during the day.",
        "The authority said repairs, if needed, would start in the autumn once the river is low.",
    ],
}


def page(article: dict, charset: str = "utf-8", lang: str = "ar", canonical: str = "", site: str = "",
         meta_charset: bool = True) -> str:
    """An article page with the usual clutter around the article: navigation, a footer, a script."""
    head = [f'<meta charset="{charset}">' if meta_charset else "", f"<title>{html.escape(article['title'])}</title>"]
    if article["author"]:
        head.append(f'<meta name="author" content="{html.escape(article["author"])}">')
    if article["date"]:
        head.append(f'<meta property="article:published_time" content="{article["date"]}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    if site:
        head.append(f'<meta property="og:site_name" content="{html.escape(site)}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in article["paragraphs"])
    dated = "" if article["date"] else "<p class=\"dateline\">Published on 3 March 2026</p>"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{"".join(head)}</head><body>'
        '<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
        f"<main><article><h1>{html.escape(article['title'])}</h1>{dated}{body}</article></main>"
        "<footer>All rights reserved. Contact us. Advertise.</footer><script>var tracking = 1;</script>"
        "</body></html>"
    )


def rss2(base: str, items: list[tuple[str, str, str]], title: str = "الجريدة اليومية") -> str:
    """An RSS 2.0 feed; items are (guid, link, title)."""
    entries = "".join(
        f"<item><guid>{guid}</guid><link>{link}</link><title>{item_title}</title>"
        f"<pubDate>Sat, 14 Mar 2026 08:00:00 GMT</pubDate></item>"
        for guid, link, item_title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{base}/</link><description>news</description>{entries}</channel></rss>"
    )


class Site:
    """Routes (path → status, headers, body or a callable that writes the response) and a count of requests."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes] | object] = {}
        self.hits: dict[str, int] = {}
        self.sent: dict[str, int] = {}  # bytes written for streamed responses
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200,
            **headers: str) -> str:
        """Serve `body` at `path`; returns the full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path.split("?")[0]] = (status, {"Content-Type": content_type, **headers}, data)
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet: pytest shows failures, not every request
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                route = site.routes.get(path)
                if route is None:
                    self.send_error(404, "Not Found")
                elif callable(route):
                    route(self)
                else:
                    status, headers, data = route
                    etag = '"' + hashlib.sha256(data).hexdigest()[:12] + '"'
                    if status == 200 and self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.end_headers()
                        return
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

        return Handler


def slow(seconds: float, body: str = "<html><body><p>late</p></body></html>"):
    """A route that sends its headers, then waits before sending the body."""
    def respond(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.flush()
        time.sleep(seconds)
        try:
            handler.wfile.write(body.encode("utf-8"))
        except OSError:
            pass
    return respond


def endless(site: Site, path: str):
    """A route that streams an HTML page without a length, megabyte after megabyte, until the client hangs up;
    `site.sent[path]` says how much was written."""
    def respond(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        block = b"<p>" + b"x" * (1 << 20) + b"</p>"
        site.sent[path] = 0
        try:
            while site.sent[path] < 60 << 20:
                handler.wfile.write(block)
                site.sent[path] += len(block)
        except OSError:
            pass
    return respond


def redirect(to: str):
    """A route that redirects."""
    def respond(handler):
        handler.send_response(302)
        handler.send_header("Location", to)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return respond
