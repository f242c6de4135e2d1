"""Shared fixtures: the real model (converted and loaded once a session), real Chroma, embedded and server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Tests run offline: nothing may reach the model hub or a telemetry endpoint.
for name, value in {
    "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(name, value)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURES = Path(__file__).parent / "fixtures"

from settings import Settings  # noqa: E402
from vectorstore.embedder import Embedder, ensure_bundled_model  # noqa: E402


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The bundled model, converted once for the whole session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def base_settings(model_dir) -> Settings:
    settings = Settings(_env_file=None, data_dir=model_dir.parent / "unused", model_dir=model_dir)
    ensure_bundled_model(settings.bundled_model_path)
    return settings


@pytest.fixture(scope="session")
def embedder(base_settings) -> Embedder:
    return Embedder(base_settings)


@pytest.fixture
def settings(base_settings, embedder, tmp_path) -> Settings:
    """Settings for one test: its own data directory, the session's converted model (loaded first, so that its
    ONNX export exists before a test runs a command: the command would say it is building it)."""
    return base_settings.model_copy(update={"data_dir": tmp_path / "data"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing answered at {url} within {seconds}s")


@contextmanager
def running(command: list[str], ready_url: str, seconds: float, log: Path, **popen) -> Iterator[subprocess.Popen]:
    """A server process, up (answering at `ready_url`) for as long as the block runs; its output goes to `log`."""
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    try:
        wait_for_http(ready_url, seconds, process)
        yield process
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a free local port; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("chroma-server") / "server.log"
    chroma = Path(sys.executable).with_name("chroma")
    url = f"http://127.0.0.1:{port}"
    command = [str(chroma), "run", "--path", str(log.parent / "db"), "--host", "127.0.0.1", "--port", str(port)]
    with running(command, f"{url}/api/v2/heartbeat", 30, log):
        yield url
