"""Run Sanad's command lines as a user does: a separate process, real model and store."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], settings, **env: str) -> subprocess.CompletedProcess:
    """`python -m …` in the repo root, with the test's data and model folders."""
    environment = {
        **os.environ,
        "SANAD_DATA_DIR": str(settings.data_dir),
        "SANAD_MODEL_DIR": str(settings.model_dir),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300
    )
