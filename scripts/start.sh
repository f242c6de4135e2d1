#!/usr/bin/env bash
# Set everything up, ingest the bundled sample articles, and serve Sanad at http://127.0.0.1:7860/
# (chat at /, API docs at /api/docs, the widget's demo page at /widget-demo). Ctrl+C stops it.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python -m ingest samples
exec python app.py "$@"
