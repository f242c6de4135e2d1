"""`python -m ingest` as a user runs it: summary line, one line per bad input, exit codes."""

from tests.cli import run


def test_ingest_reports_and_is_idempotent(settings, tmp_path):
    (tmp_path / "a.md").write_text("# خبر\n\nقال الوزير إن المشروع يبدأ غداً.\n", encoding="utf-8")
    first = run(["ingest", str(tmp_path / "a.md")], settings)
    again = run(["ingest", str(tmp_path / "a.md")], settings)
    assert first.returncode == 0 and first.stdout.startswith("articles: 1 added, 0 updated, 0 unchanged, 0 failed; 1 chunks")
    assert again.returncode == 0 and again.stdout.startswith("articles: 0 added, 0 updated, 1 unchanged, 0 failed; 0 chunks")


def test_bad_inputs_exit_1_with_one_line_each(settings, tmp_path):
    (tmp_path / "good.txt").write_text("A good article.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes("é".encode("latin-1"))
    (tmp_path / "lines.jsonl").write_text('{"text": "fine"}\nnot json\n', encoding="utf-8")
    result = run(["ingest", str(tmp_path), str(tmp_path / "nope.md")], settings)
    assert result.returncode == 1
    assert sorted(result.stderr.strip().splitlines()) == [
        f"error: {tmp_path / 'bad.txt'}: not UTF-8 text (bad byte at offset 0)",
        f"error: {tmp_path / 'lines.jsonl'}:2: malformed JSON line: Expecting value",
        f"error: {tmp_path / 'nope.md'}: no such file or directory",
    ]
    assert "2 added" in result.stdout and "3 failed" in result.stdout and "Traceback" not in result.stderr


def test_bad_setting_is_one_line(settings, tmp_path):
    result = run(["ingest", str(tmp_path)], settings, SANAD_CHUNK_TOKENS="lots")
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "chunk_tokens" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_finds_an_article_missing_records_and_a_delete_and_ingest_mend_it(settings, tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from tests.conftest import FIXTURES

    assert run(["ingest", str(FIXTURES / "crosslingual")], settings).returncode == 0
    sound = run(["ingest", "check"], settings)
    assert sound.returncode == 0 and sound.stdout.startswith("sound: 4 articles"), sound.stdout + sound.stderr
    # What a disk fault or a hand-run script could do: one chunk record of one article gone from Chroma.
    client = chromadb.PersistentClient(str(settings.chroma_path), settings=ChromaSettings(anonymized_telemetry=False))
    chunks = client.get_collection(settings.collection)
    lost = chunks.get(limit=1, include=["metadatas"])
    chunks.delete(ids=lost["ids"])
    client.close()
    article = lost["metadatas"][0]["article_id"]
    broken = run(["ingest", "check"], settings)
    assert broken.returncode == 1
    assert broken.stdout.splitlines()[0].startswith(f"{article}: the ledger counts ")
    assert "1 problem in 4 articles: `python -m ingest delete ID`, then ingest it again" in broken.stdout
    assert run(["ingest", "delete", article], settings).returncode == 0
    assert run(["ingest", str(FIXTURES / "crosslingual")], settings).stdout.startswith("articles: 1 added")
    assert run(["ingest", "check"], settings).returncode == 0
