"""The documented way past one machine, as it runs: a real `chroma run` server, two `python app.py` processes on it
sharing one data folder (the lexical index) and one rate-limit file, articles written through either."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid

from tests.cli import run
from tests.conftest import ROOT, free_port, running
from tests.web.conftest import ADMIN_TOKEN, request

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
QUESTIONS_A_MINUTE = 4
FERRY = """---
id: cli-ferry
published: 2026-07-01
---
# Night ferry returns to the northern islands

The night ferry to the northern islands resumes on 3 July after two years, the port authority said.
"""
LIBRARY = {
    "id": "api-library", "title": "City library reopens after repairs", "published": "2026-05-02",
    "text": "The city library reopens on 12 May after a year of roof repairs, the mayor's office said.",
}


def test_two_app_processes_on_a_chroma_server_answer_what_either_stored(chroma_server, settings, tmp_path):
    data = settings.data_dir
    environment = {
        "SANAD_CHROMA_URL": chroma_server, "SANAD_COLLECTION": f"scale-out-{uuid.uuid4().hex[:12]}",
        "SANAD_MODEL_DIR": str(settings.model_dir), "SANAD_ADMIN_TOKEN": ADMIN_TOKEN,
        "SANAD_RATE_LIMIT_PER_MINUTE": str(QUESTIONS_A_MINUTE),
        "SANAD_RATE_LIMIT_FILE": str(tmp_path / "shared-state" / "rate-limit.sqlite3"),
    }
    (tmp_path / "ferry.md").write_text(FERRY, encoding="utf-8")
    cli = run(["ingest", str(tmp_path / "ferry.md")], settings, **environment)
    assert cli.returncode == 0 and "1 added" in cli.stdout, cli.stderr
    with contextlib.ExitStack() as apps:
        first, second = (
            apps.enter_context(_app(data, {**os.environ, **environment}, tmp_path / f"app-{n}.log")) for n in (1, 2)
        )
        added = request(f"{first}/api/articles", "POST", {"articles": [LIBRARY]}, **ADMIN)
        assert added.status == 200 and added.json()["added"] == 1
        for url in (first, second):
            assert request(f"{url}/api/health").json()["chunks"] == 2
            ferry = request(f"{url}/api/ask", "POST", {"question": "When does the night ferry resume?"}).json()
            assert ferry["passages"][0]["article_id"] == "cli-ferry" and "3 July" in ferry["answer"]
            library = request(f"{url}/api/ask", "POST", {"question": "When does the city library reopen?"}).json()
            assert library["passages"][0]["article_id"] == "api-library" and "12 May" in library["answer"]
        # Four questions were asked, two of each process: the shared limit is spent whichever answers next.
        for url in (first, second):
            refused = request(f"{url}/api/ask", "POST", {"question": "When does the night ferry resume?"})
            assert refused.status == 429 and f"up to {QUESTIONS_A_MINUTE} a minute" in refused.json()["error"]


@contextlib.contextmanager
def _app(data, environment, log):
    """`python app.py` on `data`; yields its base URL and shows its log when a test fails."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        with running([sys.executable, "app.py", "--db", str(data), "--port", str(port)], f"{url}/api/health", 180,
                     log, cwd=ROOT, env=environment):
            yield url
    finally:
        print(log.read_text()[-3000:])
