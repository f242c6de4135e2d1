"""Latency through the web app with concurrent clients, and the widget's transferred size.

    python bench/web_latency.py [--db DIR] [--questions FILE.jsonl] [--clients 10] [--per-client 10]

Starts `python app.py` on a free port over DIR (default: SANAD_DATA_DIR or ./data) with the rate limit lifted,
then has each client ask its questions one after another, all clients at once: first through
POST /api/ask/stream (time to the first answer token, and to the whole answer), then through POST /api/ask.
Prints figures; asserts nothing. Default questions: the bundled samples' example questions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.eval import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_QUESTIONS = [
    "What did the minister say about the water project?", "ماذا قال الوزير عن مشروع المياه؟",
    "When will construction of the rail link start?", "لماذا تأجلت مهمة المرصد الفضائي؟",
    "How many visitors does the heritage festival expect?", "متى تمدد المكتبة العامة ساعات العمل؟",
]


def _post(url: str, body: dict):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    return urllib.request.urlopen(request, timeout=300)


def streamed(base: str, question: str) -> tuple[float, float]:
    """Seconds to the first delta event and to the final answer event."""
    started = time.perf_counter()
    first = None
    with _post(f"{base}/api/ask/stream", {"question": question}) as response:
        for line in response:
            if line.startswith(b"event: delta") and first is None:
                first = time.perf_counter() - started
            elif line.startswith(b"event: answer"):
                break
    return first if first is not None else float("nan"), time.perf_counter() - started


def whole(base: str, question: str) -> float:
    started = time.perf_counter()
    with _post(f"{base}/api/ask", {"question": question}) as response:
        response.read()
    return time.perf_counter() - started


def _run(clients: int, per_client: int, questions: list[str], ask) -> list:
    def client(number: int) -> list:
        return [ask(questions[(number * per_client + i) % len(questions)]) for i in range(per_client)]

    with ThreadPoolExecutor(clients) as pool:
        return [result for results in pool.map(client, range(clients)) for result in results]


def _ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="data directory that holds the articles")
    parser.add_argument("--questions", type=Path, help='JSON lines with "question"')
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--per-client", type=int, default=10, help="questions each client asks in turn")
    args = parser.parse_args()
    questions = SAMPLE_QUESTIONS
    if args.questions:
        lines = args.questions.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "app.py", "--port", str(port), *(["--db", str(args.db)] if args.db else [])]
    app = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "SANAD_RATE_LIMIT_PER_MINUTE": "100000"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        whole(base, questions[0])  # warm up
        total = args.clients * args.per_client
        print(f"{args.clients} concurrent clients, {args.per_client} questions each ({total} in all)")
        started = time.perf_counter()
        timings = _run(args.clients, args.per_client, questions, lambda q: streamed(base, q))
        elapsed = time.perf_counter() - started
        print(f"/api/ask/stream  first token: {_ms([t for t, _ in timings])}")
        print(f"/api/ask/stream  whole answer: {_ms([t for _, t in timings])}  ({total / elapsed:.1f} answers/s)")
        started = time.perf_counter()
        timings = _run(args.clients, args.per_client, questions, lambda q: whole(base, q))
        elapsed = time.perf_counter() - started
        print(f"/api/ask         whole answer: {_ms(timings)}  ({total / elapsed:.1f} answers/s)")
        single = [whole(base, q) for q in questions[:20]]
        print(f"/api/ask         one client alone: {_ms(single)}")

        request = urllib.request.Request(f"{base}/widget.js", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            sent = response.read()
            encoding = response.headers.get("Content-Encoding")
        raw = gzip.decompress(sent) if encoding == "gzip" else sent
        print(f"widget.js: {len(sent):,} bytes transferred ({encoding or 'uncompressed'}), {len(raw):,} bytes as served")
    finally:
        app.terminate()
        app.wait(30)


if __name__ == "__main__":
    main()
