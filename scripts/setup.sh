# Sourced by the other scripts: a venv with torch (CPU build, first) and the pinned requirements,
# and the environment for offline runs. Safe to run again; pip skips what is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
export PATH="$PWD/.venv/bin:$PATH"
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False
export TOKENIZERS_PARALLELISM=false
