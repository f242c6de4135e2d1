"""`python -m ingest` with URLs, feeds and sitemaps, `watch`, `list` and `delete`, run as a user runs them:
a separate process, the real model and store, the local site."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.cli import ROOT, run
from tests.ingest.conftest import QUICK_FETCHES
from tests.ingest.site import HARVEST, MUSEUM, WATER, endless, page, redirect, rss2, slow

QUICK_ENV = {f"SANAD_{name.upper()}": str(value) for name, value in QUICK_FETCHES.items()}


def ingest(args, settings):
    return run(["ingest", *args], settings, **QUICK_ENV)


def test_urls_each_failure_one_line_and_the_rest_ingested(site, settings):
    good = [site.add("/ar/water", page(WATER, site="الجريدة اليومية")),
            site.add("/ar/harvest", page(HARVEST, charset="windows-1256").encode("cp1256"), "text/html; charset=windows-1256")]
    site.add("/broken", "oops", status=500)
    site.add("/doc.pdf", b"%PDF-1.4", "application/pdf")
    site.add("/photo.png", b"\x89PNG\r\n", "image/png")
    site.add("/empty", "<html><body><nav>Home</nav></body></html>")
    site.add("/private/memo", page(MUSEUM, lang="en"))
    site.add("/feed.xml", "<html>not a feed</html>")
    site.routes["/slow"] = slow(3)
    site.routes["/loop"] = redirect("/loop")
    site.routes["/huge"] = endless(site, "/huge")
    failing = {
        "/missing": "HTTP 404 Not Found", "/broken": "HTTP 500 Internal Server Error",
        "/slow": "timed out waiting for the response", "/loop": "more than 5 redirects",
        "/huge": "larger than the 2,000,000-byte limit", "/doc.pdf": "the server sent application/pdf",
        "/photo.png": "the server sent image/png", "/empty": "no article text found",
        "/private/memo": "robots.txt does not allow",
    }
    urls_file = settings.data_dir.parent / "urls.txt"
    urls_file.parent.mkdir(parents=True, exist_ok=True)
    urls_file.write_text("# pages\n" + "\n".join(site.base + path for path in failing) + "\nhttp//bad\n", encoding="utf-8")
    result = ingest([*good, "--urls", str(urls_file), "--feed", site.base + "/feed.xml"], settings)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(failing) + 2
    for path, message in failing.items():
        assert any(line.startswith(f"error: {site.base}{path}: ") and message in line for line in lines), path
    assert "error: http//bad: not a web address (expected http:// or https://)" in lines
    assert any(line.startswith(f"error: {site.base}/feed.xml: not a readable feed") for line in lines)
    assert result.stdout.startswith(f"articles: 2 added, 0 updated, 0 unchanged, {len(failing) + 2} failed")

    again = ingest(good, settings)
    assert again.returncode == 0 and again.stdout.startswith("articles: 0 added, 0 updated, 2 unchanged")
    site.add("/ar/water", page({**WATER, "paragraphs": WATER["paragraphs"][:2]}, site="الجريدة اليومية"))
    changed = ingest(good, settings)
    assert changed.stdout.startswith("articles: 0 added, 1 updated, 1 unchanged")

    listed = run(["ingest", "list", "--json"], settings)
    rows = sorted((json.loads(line) for line in listed.stdout.splitlines()), key=lambda row: row["id"])
    assert [(r["id"], r["url"], r["outlet"], r["title"]) for r in rows] == [
        (good[1], good[1], "127.0.0.1", HARVEST["title"]), (good[0], good[0], "الجريدة اليومية", WATER["title"]),
    ]


def test_feed_and_sitemap_then_list_and_delete(site, settings):
    site.add("/ar/water", page(WATER))
    site.add("/ar/harvest", page(HARVEST))
    site.add("/en/museum", page(MUSEUM, lang="en"))
    feed = site.add("/rss.xml", rss2(site.base, [("w", f"{site.base}/ar/water", "w"), ("h", f"{site.base}/ar/harvest", "h")]))
    site_map = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.base}/en/museum</loc><lastmod>2026-03-03</lastmod></url>"
        f"<url><loc>{site.base}/ar/water</loc><lastmod>2025-01-01</lastmod></url></urlset>"
    )
    sitemap = site.add("/sitemap.xml", site_map, "application/xml")
    result = ingest(["--feed", feed, "--sitemap", sitemap, "--since", "2026-01-01"], settings)
    assert result.returncode == 0 and result.stdout.startswith("articles: 3 added"), result.stderr
    assert site.hits["/en/museum"] == 1
    again = ingest(["--sitemap", sitemap, "--since", "2026-01-01"], settings)  # read before: no page fetched
    assert again.returncode == 0 and again.stdout.startswith("articles: 0 added") and site.hits["/en/museum"] == 1
    site.add("/sitemap.xml", site_map.replace("2026-03-03", "2026-03-09"), "application/xml")  # the page changed
    changed = ingest(["--sitemap", sitemap, "--since", "2026-01-01"], settings)
    assert changed.returncode == 0 and site.hits["/en/museum"] == 2, changed.stderr

    listed = run(["ingest", "list", "--source", feed], settings)
    assert sorted(line.split("\t")[0] for line in listed.stdout.splitlines()) == [f"{site.base}/ar/harvest", f"{site.base}/ar/water"]
    since = run(["ingest", "list", "--since", "2026-06-01", "--json"], settings)
    assert [json.loads(line)["title"] for line in since.stdout.splitlines()] == [HARVEST["title"]]

    one = run(["ingest", "delete", f"{site.base}/en/museum", "no-such-id"], settings)
    assert one.returncode == 1 and one.stdout.startswith("deleted 1 articles")
    assert one.stderr.strip() == "error: no-such-id: no stored article has this id or URL"
    both = run(["ingest", "delete", "--source", feed], settings)
    assert both.returncode == 0 and both.stdout.startswith("deleted 2 articles")
    assert run(["ingest", "list"], settings).stdout == ""


def test_list_with_a_bad_date_is_one_line(settings):
    result = run(["ingest", "list", "--since", "yesterday"], settings)
    assert result.returncode == 2 and result.stderr.strip() == "error: --since: 'yesterday' is not a date like 2026-03-14"


def test_watch_polls_backs_off_a_failing_feed_and_stops_on_sigterm(site, settings, tmp_path):
    site.add("/ar/water", page(WATER))
    good = site.add("/rss.xml", rss2(site.base, [("w", f"{site.base}/ar/water", "w")]))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"# our feeds\n{good}\n{site.base}/gone.xml\n", encoding="utf-8")
    environment = {**os.environ, **QUICK_ENV, "SANAD_DATA_DIR": str(settings.data_dir), "SANAD_MODEL_DIR": str(settings.model_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ingest", "watch", str(feeds), "--every", "1s"], cwd=ROOT, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and site.hits.get("/rss.xml", 0) < 4:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and out.rstrip().endswith("stopped") and "Traceback" not in err
    lines = out.splitlines()
    assert f"{good}: 1 items, 1 new, 1 stored, 0 failed" in next(line for line in lines if line.startswith(good))
    assert sum(line.startswith(f"{good}: not modified") for line in lines) >= 2
    # The failing feed waits 2 s, then 4 s, ... while the good one is polled every second.
    failures = [line for line in lines if line.startswith(f"{site.base}/gone.xml: failed")]
    assert failures[0].endswith("failed (1 in a row), next try in 2s") and len(failures) < site.hits["/rss.xml"]
    assert err.count(f"error: {site.base}/gone.xml: HTTP 404 Not Found") == len(failures)
    assert run(["ingest", "list"], settings).stdout.startswith(f"{site.base}/ar/water\t2026-03-14")


def test_watch_with_a_bad_feeds_file_is_one_line(settings, tmp_path):
    (tmp_path / "feeds.txt").write_text("https://ok.example/rss\nnot a url\n", encoding="utf-8")
    result = run(["ingest", "watch", str(tmp_path / "feeds.txt")], settings)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'feeds.txt'}:2: not a url: not a web address (expected http:// or https://)"
