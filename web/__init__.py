"""Sanad on the web: the chat, the REST API and the widget that app.py assembles."""

from pathlib import Path

STATIC = Path(__file__).parent / "static"  # the widget, its demo page, and the chat's CSS and script
