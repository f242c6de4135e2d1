"""One contract for the chunk store, passed by embedded Chroma and by a real `chroma run` server."""

import copy
import uuid

import pytest

from errors import StoreError
from ingest.chunker import Chunker
from records import Article, Filters
from vectorstore.lexical import LexicalIndex
from vectorstore.store import ChunkStore

WATER = Article(
    id="water", title="Desalination plant", source="water.md", author="Leila", published="2026-03-14",
    text="The minister announced a desalination plant for the coastal city.\n\nHe said it would end summer water cuts.",
)
CHESS = Article(
    id="chess", title="Chess final", source="chess.md", author="Rami", published="2025-02-03",
    text="A seventeen-year-old won the national chess championship after a draw in the last round.",
)


def write(store: ChunkStore, chunker: Chunker, article: Article):
    chunks = chunker.chunk(article)
    sentences = [s.searchable_text for c in chunks for s in c.sentences]
    embed = store.embedder.embed_passages
    store.write_article(chunks, embed([c.searchable_text for c in chunks]), embed(sentences))
    return chunks


class StoreContract:
    """Behaviour every backend must show; subclasses only say how to open the store."""

    @pytest.fixture
    def open_store(self, settings, embedder):
        raise NotImplementedError

    @pytest.fixture
    def store(self, open_store, embedder):
        return open_store(embedder)

    @pytest.fixture
    def chunker(self, embedder):
        # Small chunks, so that WATER has two and re-writing it shorter leaves a stale one.
        return Chunker(embedder.count_tokens, max_tokens=16, overlap_tokens=0)

    def test_new_store_is_empty(self, store):
        assert store.count() == 0

    def test_chunks_come_back_with_their_metadata(self, store, chunker):
        chunks = write(store, chunker, WATER)
        found = store.search(store.embedder.embed_queries(["water cuts in summer"])[0], k=5)
        assert {p.chunk for p in found} == set(chunks)

    def test_articles_are_listed_once_each_a_page_at_a_time(self, store, chunker):
        write(store, chunker, WATER)  # two chunks, listed as one article
        write(store, chunker, CHESS)
        total, first = store.articles(0, 1)
        _, second = store.articles(1, 1)
        assert total == 2 and len(first) == len(second) == 1
        assert {first[0].article_id, second[0].article_id} == {"water", "chess"}
        assert first[0].index == second[0].index == 0
        assert store.articles(2, 1) == (2, [])

    def test_versions_report_fingerprint_and_chunk_ids(self, store, chunker):
        chunks = write(store, chunker, WATER)
        assert len(chunks) == 2
        assert store.versions(["water", "absent"]) == {"water": (WATER.fingerprint, {c.id for c in chunks})}

    def test_rewrite_leaves_no_stale_chunk(self, store, chunker):
        old = write(store, chunker, WATER)
        shorter = Article(**{**WATER.__dict__, "text": "The plant was cancelled."})
        new = write(store, chunker, shorter)
        assert store.count() == len(new) == 1
        assert store.versions(["water"])["water"][0] == shorter.fingerprint

    def test_sentences_are_stored_searched_and_replaced(self, store, chunker):
        old = write(store, chunker, WATER)
        query = store.embedder.embed_queries(["summer water cuts"])[0]
        chunk_id, similarity = store.sentence_search(query, k=1)[0]
        assert chunk_id == old[1].id and 0 < similarity <= 1
        found = store.sentences([old[1].id, old[0].id], query)
        assert [s.text for s, _ in found] == [
            "He said it would end summer water cuts.", "The minister announced a desalination plant for the coastal city.",
        ]
        assert all(WATER.text[s.start : s.end] == s.text for s, _ in found)
        shorter = Article(**{**WATER.__dict__, "text": "The plant was cancelled."})
        new = write(store, chunker, shorter)
        assert [s.text for s, _ in store.sentences([c.id for c in old + new], query)] == ["The plant was cancelled."]

    def test_delete_article(self, store, chunker):
        write(store, chunker, WATER)
        kept = write(store, chunker, CHESS)
        assert store.delete_article("water") == 2
        assert store.count() == len(kept) and store.delete_article("water") == 0
        query = store.embedder.embed_queries(["desalination"])[0]
        assert {chunk_id for chunk_id, _ in store.sentence_search(query, k=10)} == {c.id for c in kept}

    def test_search_ranks_the_matching_chunk_first(self, store, chunker):
        write(store, chunker, WATER)
        write(store, chunker, CHESS)
        best = store.search(store.embedder.embed_queries(["who won the chess championship?"])[0], k=3)[0]
        assert best.chunk.article_id == "chess" and 0 < best.score <= 1

    def test_filter_applies_before_k(self, store, chunker):
        write(store, chunker, WATER)
        write(store, chunker, CHESS)
        query = store.embedder.embed_queries(["chess championship"])[0]
        found = store.search(query, k=2, filters=Filters(authors=("Leila",)))
        assert len(found) == 2 and {p.chunk.article_id for p in found} == {"water"}
        recent = store.search(query, k=5, filters=Filters(published_from="2026-01-01"))
        assert {p.chunk.article_id for p in recent} == {"water"}
        assert store.search(query, k=5, filters=Filters(published_to="2020-12-31")) == []

    def test_lexical_search_follows_writes_and_filters(self, store, chunker):
        water = write(store, chunker, WATER)
        write(store, chunker, CHESS)
        assert store.lexical_search("desalination", k=5)[0][0] == water[0].id
        assert store.lexical_search("championship", k=5, filters=Filters(authors=("Leila",))) == []
        store.delete_article("water")
        assert store.lexical_search("desalination", k=5) == []

    def test_passages_by_id_keep_the_order_asked_and_score_by_cosine(self, store, chunker):
        ids = [c.id for c in write(store, chunker, WATER)]
        query = store.embedder.embed_queries(["water cuts"])[0]
        found = store.passages([ids[1], "absent", ids[0]], query)
        assert [p.chunk.id for p in found] == [ids[1], ids[0]]
        by_search = {p.chunk.id: p.score for p in store.search(query, k=2)}
        assert [round(p.score, 4) for p in found] == [round(by_search[i], 4) for i in (ids[1], ids[0])]

    def test_lexical_index_survives_a_restart_without_rebuild(self, open_store, store, chunker, embedder, monkeypatch):
        water = write(store, chunker, WATER)
        for method in ("reindex", "commit_articles"):
            monkeypatch.setattr(LexicalIndex, method, lambda *args: pytest.fail("rebuilt on restart"))
        reopened = open_store(embedder)
        assert reopened.lexical_search("desalination", k=1)[0][0] == water[0].id

    def test_other_model_is_refused(self, open_store, store, chunker, embedder):
        write(store, chunker, CHESS)
        other = copy.copy(embedder)
        other.name = "someone/another-model"
        with pytest.raises(StoreError, match="built with model"):
            open_store(other)


class TestEmbeddedStore(StoreContract):
    @pytest.fixture
    def open_store(self, settings):
        return lambda embedder: ChunkStore(settings, embedder)


class TestServerStore(StoreContract):
    @pytest.fixture
    def open_store(self, settings, chroma_server):
        server_settings = settings.model_copy(
            update={"chroma_url": chroma_server, "collection": f"test-{uuid.uuid4().hex[:12]}"}
        )
        return lambda embedder, **other: ChunkStore(server_settings.model_copy(update=other), embedder)

    def test_nothing_is_written_to_a_local_chroma(self, store, chunker, settings):
        write(store, chunker, CHESS)
        assert not settings.chroma_path.exists()

    def test_a_new_data_folder_adopts_what_the_server_holds(self, open_store, store, chunker, embedder, tmp_path):
        # A store written before the ledger existed (or a fresh data folder on a server store) is taken as it is.
        chess = write(store, chunker, CHESS)
        elsewhere = open_store(embedder, data_dir=tmp_path / "other-machine")
        assert elsewhere.lexical_search("championship", k=1)[0][0] == chess[0].id
        assert elsewhere.versions(["chess"]) == store.versions(["chess"]) and elsewhere.count() == len(chess)


def test_bad_server_url_is_a_clear_error(settings, embedder):
    with pytest.raises(StoreError, match="http://host:port"):
        ChunkStore(settings.model_copy(update={"chroma_url": "localhost:8000"}), embedder)
