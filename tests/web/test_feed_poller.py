"""`python app.py` with SANAD_FEEDS: the app polls the feeds itself, answers from a new item within seconds,
keeps polling a good feed beside broken ones, shows each feed's last poll in /api/health, and stops on SIGTERM
with exit code 0; a bad feeds file or interval is one line and exit code 2. The articles are written for these
tests."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, free_port, running
from tests.ingest.conftest import QUICK_FETCHES
from tests.ingest.site import Site, page, rss2, slow
from tests.web.conftest import ADMIN_TOKEN, request

FERRY = {
    "title": "خط عبّارات جديد يربط الميناء القديم بجزيرة النخيل",
    "author": "نادية العمري",
    "date": "2026-08-03",
    "paragraphs": [
        "أعلنت هيئة النقل البحري أن خط العبّارات الجديد بين الميناء القديم وجزيرة النخيل يبدأ العمل في الأول "
        "من أيلول، بأربع رحلات يومية في كل اتجاه بدلاً من القوارب الصغيرة التي تنقل السكان اليوم.",
        "وقال مدير الهيئة إن سعر التذكرة سيكون ديناراً واحداً للبالغين، وإن الأطفال دون العاشرة يسافرون مجاناً "
        "طوال السنة الأولى من تشغيل الخط.",
        "وتستغرق الرحلة خمساً وعشرين دقيقة، وتتسع كل عبّارة لمئة وعشرين راكباً وعشرين دراجة هوائية.",
    ],
}
FERRY_QUESTION = "كم سعر تذكرة العبّارة إلى جزيرة النخيل؟"
MARKET = {
    "title": "The night market moves to the river bank",
    "author": "Samir Toukan",
    "date": "2026-08-05",
    "paragraphs": [
        "The city's night market will move to the river bank in October, the council said on Tuesday, after "
        "traders complained that the old square was too small for its two hundred stalls.",
        "Stalls will open from six in the evening until midnight on Thursdays and Fridays, and the council will "
        "put up forty new street lamps along the river path before the move.",
        "A shuttle bus will run from the central station every fifteen minutes while the market is open.",
    ],
}
MARKET_QUESTION = "How often will the shuttle bus run to the night market?"
QUICK_ENV = {f"SANAD_{name.upper()}": str(value) for name, value in QUICK_FETCHES.items()}


@pytest.fixture
def site():
    """A news site on a free local port; each test adds its feed and pages."""
    served = Site()
    yield served
    served.close()


def _environment(settings, feeds) -> dict[str, str]:
    return {
        **os.environ, **QUICK_ENV, "SANAD_MODEL_DIR": str(settings.model_dir), "SANAD_FEEDS": str(feeds),
        "SANAD_FEEDS_EVERY": "1s", "SANAD_RATE_LIMIT_PER_MINUTE": "10000", "SANAD_ADMIN_TOKEN": ADMIN_TOKEN,
    }


def _seconds_until_cited(url: str, question: str, article: str, seconds: float) -> float:
    """Ask until an answer cites the article; how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        reply = request(f"{url}/api/ask", "POST", {"question": question})
        if reply.status == 200 and any(c["article_id"] == article for c in reply.json()["citations"]):
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"no answer cited {article} within {seconds}s: {reply.status} {reply.body[:300]!r}")


def test_the_app_polls_its_feeds_answers_new_items_and_stops_on_sigterm(site, settings, tmp_path):
    ferry = site.add("/ar/ferry", page(FERRY))
    good = site.add("/rss.xml", rss2(site.base, [("ferry", ferry, FERRY["title"])]))
    gone = f"{site.base}/gone.xml"
    not_a_feed = site.add("/news.html", "<html><body><p>no feed here</p></body></html>")
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{gone}\n{not_a_feed}\n{good}\n", encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "app.log"
    command = [sys.executable, "app.py", "--db", str(settings.data_dir), "--port", str(port)]
    try:
        with running(command, f"{url}/api/health", 180, log, cwd=ROOT, env=_environment(settings, feeds)) as app:
            print(f"first item answered {_seconds_until_cited(url, FERRY_QUESTION, ferry, 30):.1f}s after start-up")

            market = site.add("/en/market", page(MARKET, lang="en"))
            items = [("market", market, MARKET["title"]), ("ferry", ferry, FERRY["title"])]
            site.add("/rss.xml", rss2(site.base, items))
            print(f"new item answered {_seconds_until_cited(url, MARKET_QUESTION, market, 30):.1f}s after it was added")

            public = request(f"{url}/api/health").json()
            assert public["feeds"] == {"polling": True, "every_seconds": 1, "feeds": 3, "failing": 2}
            health = request(f"{url}/api/health", Authorization=f"Bearer {ADMIN_TOKEN}").json()
            assert health["chunks"] == 2 and health["feeds"]["polling"] and health["feeds"]["every_seconds"] == 1
            polls = {feed["url"]: feed for feed in health["feeds"]["feeds"]}
            assert list(polls) == [gone, not_a_feed, good]
            assert polls[good]["failures"] == 0 and polls[good]["errors"] == [] and polls[good]["last_poll"]
            assert polls[gone]["failures"] >= 1 and polls[gone]["errors"] == [f"{gone}: HTTP 404 Not Found"]
            assert polls[not_a_feed]["failures"] >= 1
            assert polls[not_a_feed]["errors"][0].startswith(f"{not_a_feed}: not a readable feed")

            app.send_signal(signal.SIGTERM)
            started = time.monotonic()
            assert app.wait(20) == 0
            print(f"stopped {time.monotonic() - started:.1f}s after SIGTERM")
    finally:
        print(log.read_text()[-3000:])  # shown when the test failed
    lines = log.read_text().splitlines()
    assert "polling 3 feeds every 1s" in lines and "feed poller stopped" in lines
    assert f"{good}: 1 items, 1 new, 1 stored, 0 failed" in next(line for line in lines if line.startswith(good))
    assert any(line.startswith(f"{good}: 2 items, 1 new, 1 stored, 0 failed") for line in lines)
    assert f"{gone}: failed (1 in a row), next try in 2s" in lines
    assert "Traceback" not in log.read_text()


def test_sigterm_during_a_poll_leaves_the_item_for_the_next_start(site, settings, tmp_path):
    ferry = f"{site.base}/ar/ferry"
    site.routes["/ar/ferry"] = slow(3, page(FERRY))
    site.add("/rss.xml", rss2(site.base, [("ferry", ferry, FERRY["title"])]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{site.base}/rss.xml\n", encoding="utf-8")
    environment = {**_environment(settings, feeds), "SANAD_FETCH_READ_TIMEOUT": "10"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "app.py", "--db", str(settings.data_dir), "--port", str(port)]
    logs = [tmp_path / "stopped.log", tmp_path / "restarted.log"]
    try:
        with running(command, f"{url}/api/health", 180, logs[0], cwd=ROOT, env=environment) as app:
            deadline = time.monotonic() + 30
            while not site.hits.get("/ar/ferry") and time.monotonic() < deadline:
                time.sleep(0.05)
            app.send_signal(signal.SIGTERM)  # while the page is on its way
            assert app.wait(20) == 0
        stopped = logs[0].read_text().splitlines()
        # The page came after the stop request: it is left, not stored, and the feed is not marked as read.
        assert f"{site.base}/rss.xml: 1 items, 1 new, 0 stored, 0 failed" in stopped[-2]
        assert stopped[-1] == "feed poller stopped"

        site.add("/ar/ferry", page(FERRY))
        with running(command, f"{url}/api/health", 180, logs[1], cwd=ROOT, env=environment):
            _seconds_until_cited(url, FERRY_QUESTION, ferry, 30)
        assert f"{site.base}/rss.xml: 1 items, 1 new, 1 stored, 0 failed" in logs[1].read_text()
    finally:
        for log in logs:
            print(log.read_text()[-3000:] if log.exists() else "")  # shown when the test failed
    assert not any("Traceback" in log.read_text() for log in logs)


@pytest.mark.parametrize("feeds_file, every, message", [
    (None, "1s", "{feeds}: cannot read the feeds file"),
    ("# our feeds, none yet\n", "1s", "{feeds}: no feed URL in the file"),
    ("https://news.example/rss\nnews.example/rss\n", "1s", "{feeds}:2: news.example/rss: not a web address"),
    ("https://news.example/rss\n", "often",
     "invalid setting feeds_every (SANAD_FEEDS_EVERY): Value error, 'often' is not a duration"),
])
def test_a_bad_feeds_setting_is_one_line_and_exit_code_2(settings, tmp_path, feeds_file, every, message):
    feeds = tmp_path / "feeds.txt"
    if feeds_file is not None:
        feeds.write_text(feeds_file, encoding="utf-8")
    command = [sys.executable, "app.py", "--db", str(settings.data_dir), "--port", str(free_port())]
    environment = {**_environment(settings, feeds), "SANAD_FEEDS_EVERY": every}
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: " + message.format(feeds=feeds))
