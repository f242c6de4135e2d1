"""Retrieval, answers and citations, and the ask/eval CLI."""
