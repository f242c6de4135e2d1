"""A soak test: many clients asking for minutes while articles are written through the CLI and the API.

    python bench/soak.py --db DIR [--minutes 10] [--clients 50] [--questions FILE.jsonl] [--write-every 20]

Copies the store in DIR to a temporary folder (DIR is left as it is) and starts `python app.py` on the copy
with the rate limit lifted. Then, all at once, until the time is up:
- each client asks its questions one after another, by turns through POST /api/ask and /api/ask/stream;
- one writer runs `python -m ingest FILE --db COPY` on a new small article every `--write-every` seconds,
  another posts one to POST /api/articles as often (every other one with ?background=true);
- a fifth into the run, a 1 MB article is posted with ?background=true, and its job followed to the end.
With `--write-every 0` there are only the questions, which tells the memory that questions hold from the
memory that a growing store holds.
Every minute it prints one line: requests and errors in that minute, p50/p95, and the app's RSS. At the end:
the errors, RSS growth per 1,000 requests after the first 1,000, question p95 while the 1 MB article was
written against the minute before, whether every written article is stored, and `python -m ingest check`.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live_answer import article  # noqa: E402
from bench.web_latency import SAMPLE_QUESTIONS, streamed, whole  # noqa: E402
from rag.eval import percentile  # noqa: E402
from tests.conftest import ROOT, free_port, running  # noqa: E402

ADMIN_TOKEN = "soak-admin"
# Seconds between RSS samples (the growth is fitted over them) and between printed lines.
SAMPLE_EVERY = 10
REPORT_EVERY = 60
BIG_ARTICLE_BYTES = 1_000_000


class Tally:
    """Every question's (finished at, seconds, ok), from all clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.questions: list[tuple[float, float, bool]] = []
        self.errors: list[str] = []

    def add(self, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.questions.append((time.monotonic(), seconds, error is None))
            if error:
                self.errors.append(error)

    def between(self, start: float, end: float) -> list[float]:
        with self.lock:
            return [seconds for at, seconds, ok in self.questions if ok and start <= at - seconds and at <= end]


def post(url: str, body: dict, **headers: str) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_TOKEN}", **headers},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


def get(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def client(base: str, questions: list[str], number: int, tally: Tally, until: float) -> None:
    asked = number
    while time.monotonic() < until:
        question = questions[asked % len(questions)]
        started = time.perf_counter()
        try:
            if asked % 2:
                streamed(base, question)
            else:
                whole(base, question)
            tally.add(time.perf_counter() - started)
        except (OSError, urllib.error.HTTPError) as error:
            tally.add(time.perf_counter() - started, f"{type(error).__name__}: {error}")
        asked += 1


def writer(base: str, db: Path, folder: Path, through: str, every: float, until: float, written: list, errors: list):
    """Write a new article every `every` seconds through the CLI or the API; append each stored id."""
    number = 0
    while time.monotonic() + every < until:
        time.sleep(every)
        record, _ = article(number, f"soak-{through}")
        try:
            if through == "cli":
                path = folder / f"{record['id']}.json"
                path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
                done = subprocess.run([sys.executable, "-m", "ingest", str(path), "--db", str(db)], cwd=ROOT,
                                      capture_output=True, text=True, timeout=600)
                if done.returncode:
                    raise RuntimeError(done.stderr.strip())
            elif number % 2:
                job = post(f"{base}/api/articles?background=true", {"articles": [record]})
                while job["status"] in ("queued", "running"):
                    time.sleep(0.5)
                    job = get(f"{base}/api/jobs/{job['job']}")
                if job["status"] != "done":
                    raise RuntimeError(f"job {job}")
            else:
                post(f"{base}/api/articles", {"articles": [record]})
            written.append(record["id"])
        except (OSError, RuntimeError, urllib.error.HTTPError) as error:
            errors.append(f"{through} writer: {error}")
        number += 1


def big_article() -> dict:
    """About 1 MB of UTF-8 Arabic news prose, each paragraph different."""
    paragraphs, size, number = [], 0, 0
    while size < BIG_ARTICLE_BYTES:
        record, _ = article(number, "big")
        paragraphs.append(record["text"])
        size += len(record["text"].encode()) + 2
        number += 1
    return {"id": "soak-big", "title": "أرشيف المكتبات العامة", "text": "\n\n".join(paragraphs), "lang": "ar"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="data directory of the store to copy")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=Path, help='JSON lines with "question"')
    parser.add_argument(
        "--write-every", type=float, default=20, help="seconds between each writer's articles; 0: questions only"
    )
    args = parser.parse_args()
    questions = SAMPLE_QUESTIONS
    if args.questions:
        lines = args.questions.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]

    work = Path(tempfile.mkdtemp(prefix="sanad-soak-"))
    db = work / "store"
    shutil.copytree(args.db, db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "SANAD_RATE_LIMIT_PER_MINUTE": "100000", "SANAD_ADMIN_TOKEN": ADMIN_TOKEN}
    command = [sys.executable, "app.py", "--db", str(db), "--port", str(port)]
    tally, written, write_errors = Tally(), [], []
    try:
        with running(command, f"{base}/api/health", 600, work / "app.log", cwd=ROOT, env=environment) as app:
            articles_before = get(f"{base}/api/articles?limit=1")["total"]
            started = time.monotonic()
            until = started + args.minutes * 60
            threads = [
                threading.Thread(target=client, args=(base, questions, n, tally, until)) for n in range(args.clients)
            ] + [
                threading.Thread(target=writer, args=(base, db, work, through, args.write_every, until, written,
                                                      write_errors))
                for through in (("cli", "api") if args.write_every else ())
            ]
            for thread in threads:
                thread.start()
            samples, big, next_report = [], None, started + REPORT_EVERY
            while time.monotonic() < until:
                time.sleep(SAMPLE_EVERY)
                now = time.monotonic()
                with tally.lock:
                    count = len(tally.questions)
                samples.append((count, rss_mb(app.pid)))
                if big is None and args.write_every and now - started >= args.minutes * 60 / 5:
                    big = {"posted": time.monotonic(), "job": post(f"{base}/api/articles?background=true",
                                                                   {"articles": [big_article()]})["job"]}
                if big and "finished" not in big and get(f"{base}/api/jobs/{big['job']}")["status"] != "running":
                    big["finished"], big["status"] = now, get(f"{base}/api/jobs/{big['job']}")["status"]
                if now >= next_report:
                    minute = [(s, ok) for at, s, ok in list(tally.questions) if at > now - REPORT_EVERY]
                    times = [s for s, ok in minute if ok]
                    print(json.dumps({
                        "minute": round((now - started) / 60), "requests": len(minute),
                        "errors": sum(not ok for _, ok in minute),
                        "p50_ms": round(percentile(times, 0.5) * 1000) if times else None,
                        "p95_ms": round(percentile(times, 0.95) * 1000) if times else None,
                        "rss_mb": round(samples[-1][1]), "big_article": big and big.get("status", "running"),
                    }), flush=True)
                    next_report += REPORT_EVERY
            for thread in threads:
                thread.join()
            while big and "finished" not in big:
                job = get(f"{base}/api/jobs/{big['job']}")
                if job["status"] not in ("queued", "running"):
                    big["finished"], big["status"] = time.monotonic(), job["status"]
                time.sleep(1)
            articles_after = get(f"{base}/api/articles?limit=1")["total"]
        check = subprocess.run([sys.executable, "-m", "ingest", "check", "--db", str(db)], cwd=ROOT,
                               capture_output=True, text=True)
        report(tally, samples, big, written, write_errors, articles_after - articles_before, check)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(tally, samples, big, written, write_errors, stored, check) -> None:
    times = [s for _, s, ok in tally.questions if ok]
    print(f"questions: {len(tally.questions)}, errors {len(tally.errors)}"
          + (f" (first: {tally.errors[0]})" if tally.errors else ""))
    print(f"question p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms")
    warm = [(count, rss) for count, rss in samples if count >= 1000]
    if len(warm) >= 2:
        n = len(warm)
        mean_count, mean_rss = sum(c for c, _ in warm) / n, sum(r for _, r in warm) / n
        slope = sum((c - mean_count) * (r - mean_rss) for c, r in warm) / sum((c - mean_count) ** 2 for c, _ in warm)
        print(f"RSS after the first 1,000 requests: {warm[0][1]:.0f} -> {warm[-1][1]:.0f} MB, "
              f"{slope * 1000:.2f} MiB per 1,000 requests (least squares over {n} samples)")
    if big and "finished" in big:
        before = tally.between(big["posted"] - REPORT_EVERY, big["posted"])
        during = tally.between(big["posted"], big["finished"])
        print(f"1 MB article: {big['status']} in {big['finished'] - big['posted']:.0f} s; question p95 "
              f"{percentile(during, 0.95) * 1000:.0f} ms while it was written ({len(during)} questions) against "
              f"{percentile(before, 0.95) * 1000:.0f} ms the minute before")
    expected = len(written) + (1 if big and big.get("status") == "done" else 0)
    print(f"articles written: {len(written)} small + the 1 MB one; the store gained {stored} (expected {expected});"
          f" writer errors {len(write_errors)}" + (f" (first: {write_errors[0]})" if write_errors else ""))
    print(f"ingest check (exit {check.returncode}): {check.stdout.strip().splitlines()[-1] if check.stdout else check.stderr}")


if __name__ == "__main__":
    main()
