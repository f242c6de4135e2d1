"""Time from `python -m ingest FILE` returning to the running app answering from the new article.

    python bench/live_answer.py [--db DIR] [--articles 10]

Starts `python app.py` on a free port over DIR (default: a new temporary store), then for each article: writes
a small new article file (a library opening in an invented town, one town per article), runs
`python -m ingest FILE --db DIR` as a separate process, and as soon as that returns asks POST /api/ask a
question only that article answers, again and again, until the answer cites it. The first article, into an
empty store, is timed apart. Prints p50 and max seconds and the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.eval import percentile  # noqa: E402
from tests.conftest import ROOT, free_port, running  # noqa: E402

TOWNS = [
    "وادي السنابل", "تل الزيتون", "عين الغزلان", "رأس الحمراء", "بئر الريحان", "كفر اللوز", "جسر العقيق",
    "سهل الخزامى", "قصر الندى", "مرج الياسمين", "برج القمر", "نبع الفيروز", "دير الصنوبر", "خربة السوسن",
]
# Seconds to keep asking before an article counts as never answered.
GIVE_UP_SECONDS = 120


def article(number: int, run: str) -> tuple[dict, str]:
    """A small article about one town's new library, and the question only it answers."""
    town = TOWNS[number % len(TOWNS)] + (f" {number // len(TOWNS) + 1}" if number >= len(TOWNS) else "")
    books = 12_000 + 750 * number
    text = (
        f"افتتح رئيس بلدية {town} صباح اليوم مكتبة عامة جديدة تضم {books} كتاب، وقال إن المكتبة ستفتح أبوابها "
        f"كل يوم من الثامنة صباحاً حتى العاشرة مساءً. وأضاف أن قاعة المطالعة تتسع لـ{40 + number} قارئاً، وأن "
        f"بطاقة الاشتراك مجانية لطلاب المدارس في {town} طوال العام الدراسي."
    )
    record = {"id": f"live-{run}-{number}", "title": f"مكتبة عامة جديدة في {town}", "text": text,
              "published": "2026-09-01", "lang": "ar"}
    return record, f"كم كتاباً تضم المكتبة الجديدة في {town}؟"


def cites(base: str, question: str, article_id: str) -> bool:
    """Whether the app's answer to the question cites the article."""
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(f"{base}/api/ask", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
    except urllib.error.HTTPError:  # 503 while the store is still empty
        return False
    return any(citation["article_id"] == article_id for citation in answer["citations"])


def ingest_then_answer(base: str, db: Path, folder: Path, number: int, run: str) -> tuple[float, float, int]:
    """Seconds `python -m ingest` took, seconds from its return to the first answer citing the article, and how
    many questions were asked until then."""
    record, question = article(number, run)
    path = folder / f"live-{number}.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ingest", str(path), "--db", str(db)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    returned = time.perf_counter()
    asked = 0
    while time.perf_counter() - returned < GIVE_UP_SECONDS:
        asked += 1
        if cites(base, question, record["id"]):
            return returned - started, time.perf_counter() - returned, asked
    return returned - started, float("inf"), asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="data directory (default: a new temporary store)")
    parser.add_argument("--articles", type=int, default=10, help="articles timed, after the first")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        db = (args.db or Path(scratch) / "data").resolve()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "app.py", "--db", str(db), "--port", str(port)]
        environment = {**os.environ, "SANAD_RATE_LIMIT_PER_MINUTE": "100000"}
        with running(command, f"{base}/api/health", 300, Path(scratch) / "app.log", cwd=ROOT, env=environment):
            run = uuid.uuid4().hex[:8]  # new ids each run, so a reused --db never finds the article stored
            load_before = os.getloadavg()
            ingest_seconds, first, asked = ingest_then_answer(base, db, Path(scratch), 0, run)
            print(f"first article, into an empty store: answered {first:.2f}s after ingest returned, at question "
                  f"{asked} (ingest itself {ingest_seconds:.1f}s)")
            timings = [ingest_then_answer(base, db, Path(scratch), n, run) for n in range(1, args.articles + 1)]
            load_after = os.getloadavg()
    ingests, waits, asks = zip(*timings)
    print(f"{len(waits)} articles: from ingest returning to an answer citing the new article: "
          f"p50 {percentile(waits, 0.5):.2f}s, max {max(waits):.2f}s; the first question cited it "
          f"{asks.count(1)} times of {len(asks)} (most questions needed: {max(asks)})")
    print(f"ingest runs themselves (a new process, model load included): p50 {percentile(ingests, 0.5):.1f}s")
    print("load average (1, 5, 15 min): before " + " ".join(f"{x:.2f}" for x in load_before)
          + ", after " + " ".join(f"{x:.2f}" for x in load_after) + f", on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
