"""Reading texts, cutting them into chunks, and the ingestion pipeline and CLI."""
