"""One contract for the chunk store, passed by embedded Chroma and by a real `chroma run` server."""

import copy
import shutil
import sqlite3
import uuid

import numpy as np
import pytest

import analysis
from errors import StoreError
from ingest.chunker import Chunker
from records import Article, Filters
from vectorstore.bm25 import BM25Index
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
        write(store, chunker, WATER)
        shorter = Article(**{**WATER.__dict__, "text": "The plant was cancelled."})
        new = write(store, chunker, shorter)
        assert store.count() == len(new) == 1
        assert store.versions(["water"])["water"][0] == shorter.fingerprint

    def test_units_are_stored_scored_and_replaced(self, store, chunker, embedder):
        old = write(store, chunker, WATER)
        query = store.embedder.embed_queries(["summer water cuts"])[0]
        found = store.sentences([old[1], old[0]], query)
        assert [s.text for s, _ in found] == [
            "He said it would end summer water cuts.", "The minister announced a desalination plant for the coastal city.",
        ]
        assert all(WATER.text[s.start : s.end] == s.text for s, _ in found)
        # Kept as float16: the similarity is the float32 one to within 0.001.
        exact = embedder.embed_passages([s.searchable_text for s, _ in found]) @ query
        assert np.allclose([similarity for _, similarity in found], exact, atol=1e-3)
        assert found[0][1] > found[1][1]
        shorter = Article(**{**WATER.__dict__, "text": "The plant was cancelled."})
        new = write(store, chunker, shorter)
        assert [s.text for s, _ in store.sentences(old + new, query)] == ["The plant was cancelled."]

    def test_delete_article(self, store, chunker):
        water = write(store, chunker, WATER)
        kept = write(store, chunker, CHESS)
        assert store.delete_article("water") == 2
        assert store.count() == len(kept) and store.delete_article("water") == 0
        query = store.embedder.embed_queries(["desalination"])[0]
        assert {chunk_id for chunk_id, _ in store.nearest(query, k=10)} == {c.id for c in kept}
        assert store.lexical.units([c.id for c in water]) == {}

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

    @pytest.mark.parametrize("within", [2_000, 1], ids=["named-records", "broad-filter"])
    def test_filters_apply_in_the_dense_search_either_way(self, store, chunker, monkeypatch, within):
        # A filter that leaves few chunks names their records to Chroma; past `within` chunks (here: WATER's
        # two), the results are filtered instead.
        monkeypatch.setattr("vectorstore.store._SEARCH_WITHIN", within)
        water, chess = write(store, chunker, WATER), write(store, chunker, CHESS)
        query = store.embedder.embed_queries(["chess championship"])[0]
        leila = Filters(authors=("Leila",))
        assert {chunk_id for chunk_id, _ in store.nearest(query, 5, leila)} == {c.id for c in water}
        assert store.nearest(query, 1, Filters(published_to="2025-12-31"))[0][0] == chess[0].id
        assert store.nearest(query, 5, Filters(published_to="2020-12-31")) == []

    def test_units_kept_in_chroma_by_older_code_are_moved_once(self, open_store, store, chunker, embedder):
        water = write(store, chunker, WATER)
        units = [unit for chunk in water for unit in chunk.sentences]
        vectors = embedder.embed_passages([unit.searchable_text for unit in units])
        # A store as older code left it: unit vectors in a Chroma collection of their own, none in SQLite; one
        # record there holds text that is no longer the unit's, so that unit is embedded afresh.
        older = store._chroma.client.get_or_create_collection(
            f"{store._settings.collection}_sentences", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        texts = [unit.text for unit in units[:-1]] + ["something else"]
        marked = vectors.copy()
        marked[0] = -marked[0]  # so that a moved vector can be told from an embedded one
        older.add(ids=[unit.id for unit in units], documents=texts, embeddings=marked)
        with sqlite3.connect(store.lexical.path) as db:
            db.execute("DROP TABLE unit_vectors")
        reopened = open_store(embedder)
        assert not reopened.lexical.units_missing()
        assert f"{store._settings.collection}_sentences" not in {c.name for c in reopened._chroma.client.list_collections()}
        kept = reopened.lexical.units([c.id for c in water])
        moved = np.concatenate([kept[c.id][2] for c in water])
        assert np.allclose(moved[0], -vectors[0], atol=1e-3) and np.allclose(moved[-1], vectors[-1], atol=1e-3)
        assert reopened.check() == []

    def test_one_article_is_found_by_its_url_and_searched_alone(self, store, chunker):
        page = "https://example.org/chess-final"
        write(store, chunker, WATER)
        write(store, chunker, Article(**{**CHESS.__dict__, "url": page}))
        write(store, chunker, Article(**{**CHESS.__dict__, "id": page, "title": "Chess, the page"}))
        # Pages are named by their URL: an article is found by its URL or by an id that is one.
        assert store.article_at(page).article_id == "chess" and store.article_at(page).index == 0
        assert store.article_at("water").article_id == "water" and store.article_at("https://example.org/") is None
        query = store.embedder.embed_queries(["chess championship"])[0]
        only = Filters(article_ids=("water",))
        assert {p.chunk.article_id for p in store.search(query, k=5, filters=only)} == {"water"}
        assert {i for i, _ in store.nearest(query, k=5, filters=only)} <= {c.id for c in chunker.chunk(WATER)}
        assert store.lexical_search("championship", k=5, filters=only) == []
        assert store.lexical_search("championship", k=5, filters=Filters(article_ids=("chess",)))

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
        monkeypatch.setattr(BM25Index, "replay", lambda *args: pytest.fail("rebuilt on restart"))
        reopened = open_store(embedder)
        assert reopened.lexical_search("desalination", k=1)[0][0] == water[0].id
        assert reopened.lexical.miscounted_terms() == 0

    def test_other_model_is_refused(self, open_store, store, chunker, embedder):
        write(store, chunker, CHESS)
        other = copy.copy(embedder)
        other.name = "someone/another-model"
        with pytest.raises(StoreError, match="built with model"):
            open_store(other)


    def test_several_articles_in_one_write_the_last_version_of_each(self, store, chunker):
        shorter = Article(**{**WATER.__dict__, "text": "The plant was cancelled."})
        embed = store.embedder.embed_passages
        batch = [
            (chunks, embed([c.searchable_text for c in chunks]), embed([s.searchable_text for c in chunks for s in c.sentences]))
            for chunks in map(chunker.chunk, (WATER, CHESS, shorter))
        ]
        assert store.write_articles(batch) == [False, True, True]
        assert store.versions(["water", "chess"]) == {
            "water": (shorter.fingerprint, {"water:0"}), "chess": (CHESS.fingerprint, {c.id for c in batch[1][0]}),
        }
        assert store.write_articles(batch[1:]) == [False, False]  # stored already: nothing is written again

    def test_lexical_filters_and_term_statistics(self, store, chunker):
        water = write(store, chunker, WATER)
        chess = write(store, chunker, CHESS)
        assert len(store.lexical) == store.count() == len(water) + len(chess)
        assert store.lexical_search("chess water", k=5, filters=Filters(published_from="2026-01-01"))[0][0] in {c.id for c in water}
        assert store.lexical_search("championship", k=5, filters=Filters(published_to="2025-12-31"))[0][0] == chess[0].id
        in_2025 = Filters(published_from="2025-01-01", published_to="2025-12-31")
        assert {i for i, _ in store.lexical_search("chess water", k=5, filters=in_2025)} == {c.id for c in chess}
        assert store.lexical_search("championship", k=5, filters=Filters(exclude_sources=("chess.md",))) == []
        assert store.lexical_search("championship", k=5, filters=Filters(sources=("chess.md",), langs=("en",))) == []
        # Counted by analysed term: WATER's two chunks both carry its title, with a name key for "Desalination".
        asked = analysis.terms("Desalination plant championship") + ["absent"]
        assert asked[1] == "~DSLNTN"
        assert store.lexical.document_frequencies(asked) == {"desalin": 2, "~DSLNTN": 2, "plant": 2, "championship": 1, "absent": 0}
        store.delete_article("chess")
        assert store.lexical.document_frequencies(asked)["championship"] == 0
        assert store.lexical.miscounted_terms() == 0
        # A term in more than half the chunks weighs nearly nothing in BM25, and is not asked unless it is all.
        assert [i for i, _ in store.lexical_search("desalination summer", k=5)] == [water[1].id]
        assert {i for i, _ in store.lexical_search("desalination", k=5)} == {c.id for c in water}

    def test_bm25_ranks_alike_with_and_without_a_filter_that_passes_all(self, store, chunker):
        # Filters are clauses that select without scoring: they must not change the ranking or the scores.
        write(store, chunker, WATER)
        write(store, chunker, CHESS)
        asked = analysis.terms("desalination plant summer chess championship final")
        everything = Filters(published_from="2000-01-01", exclude_sources=("elsewhere.md",))
        for k in (1, 2, 5):
            unfiltered = store.bm25.search(asked, k)
            assert unfiltered == store.bm25.search(asked, k, everything)
            assert [score for _, score in unfiltered] == sorted((score for _, score in unfiltered), reverse=True)
        assert len(store.bm25.search(asked, 5)) == store.count() == 4

    def test_a_write_killed_before_bm25_caught_up_is_replayed_and_a_stale_row_never_shows(
        self, open_store, store, chunker, embedder, monkeypatch
    ):
        write(store, chunker, WATER)
        write(store, chunker, CHESS)
        postponed = Article(**{**CHESS.__dict__, "text": "The chess final was postponed by a week."})

        def killed(*args):
            raise KeyboardInterrupt  # as if the writer died after the ledger's commit, before Tantivy's

        monkeypatch.setattr(BM25Index, "replay", killed)
        with pytest.raises(KeyboardInterrupt):
            write(store, chunker, postponed)
        monkeypatch.undo()
        assert store.versions(["chess"])["chess"][0] == postponed.fingerprint
        # The new chunk took the old one's row; the index still holds the old text under that row.
        assert store.lexical_search("seventeen-year-old championship", k=5) == []
        assert store.lexical_search("postponed", k=5) == []
        reopened = open_store(embedder)
        assert reopened.lexical_search("postponed", k=5)[0][0] == "chess:0"
        assert reopened.lexical_search("seventeen-year-old championship", k=5) == []
        assert reopened.check() == []

    def test_a_store_from_before_the_bm25_index_left_sqlite_keeps_its_terms(
        self, open_store, store, chunker, embedder, settings
    ):
        water = write(store, chunker, WATER)
        with sqlite3.connect(store.lexical.path) as db:  # the file as older code left it: terms in FTS5
            db.execute("CREATE VIRTUAL TABLE terms USING fts5(body, tokenize=\"ascii tokenchars '~_'\")")
            db.execute("CREATE VIRTUAL TABLE vocab USING fts5vocab(terms, row)")
            db.execute("INSERT INTO terms(rowid, body) SELECT id, body FROM bodies")
            db.execute("DROP TABLE bodies")
            db.execute("DROP TABLE changes")
            db.execute("UPDATE term_counts SET term = lower(term)")  # FTS5 folded name keys
            db.execute("INSERT INTO meta VALUES ('tokens', '0')")
        shutil.rmtree(store.lexical.path.with_suffix(".tantivy"))
        reopened = open_store(embedder)
        assert reopened.lexical.document_frequencies(["desalin", "~DSLNTN", "summer"]) == {"desalin": 2, "~DSLNTN": 2, "summer": 1}
        assert reopened.lexical.miscounted_terms() == 0
        assert reopened.lexical_search("desalination", k=1)[0][0] == water[0].id
        assert reopened.check() == []

    def test_the_chunk_count_is_kept_through_writes_and_counted_once_for_an_older_store(
        self, open_store, store, chunker, embedder
    ):
        water = write(store, chunker, WATER)
        assert store.count() == len(water)
        store.delete_article(water[0].article_id)
        assert store.count() == 0 and store.lexical.miscounted_terms() == 0
        write(store, chunker, WATER)
        with sqlite3.connect(store.lexical.path) as db:  # the index as older code left it
            db.execute("DELETE FROM meta WHERE key = 'chunks'")
        reopened = open_store(embedder)
        assert reopened.count() == len(water) and reopened.lexical.miscounted_terms() == 0

    def test_an_article_larger_than_one_chroma_call_is_stored_whole(self, store, embedder):
        # More sentences than Chroma takes in one call; vectors are random unit vectors, the model is not the point.
        text = " ".join(f"Entry {n} of the long register." for n in range(store.max_batch + 50))
        article = Article(id="long", title="Register", source="long.md", text=text)
        chunks = Chunker(embedder.count_tokens, max_tokens=64, overlap_tokens=0).chunk(article)
        sentences = sum(len(c.sentences) for c in chunks)
        assert sentences > store.max_batch
        rng = np.random.default_rng(0)

        def unit(n: int) -> np.ndarray:
            vectors = rng.normal(size=(n, embedder.dim)).astype(np.float32)
            return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

        assert store.write_article(chunks, unit(len(chunks)), unit(sentences))
        assert store.versions(["long"])["long"] == (article.fingerprint, {c.id for c in chunks})
        found = store.sentences([chunks[-1]], unit(1)[0])
        assert [s.text for s, _ in found] == [s.text for s in chunks[-1].sentences]
        assert store.delete_article("long") == len(chunks) and store.count() == 0

    def test_a_second_opening_searches_new_writes_at_once(self, open_store, store, chunker, embedder):
        reader = open_store(embedder)
        water = write(store, chunker, WATER)
        query = embedder.embed_queries(["summer water cuts"])[0]
        assert {i for i, _ in reader.nearest(query, 5, Filters(authors=("Leila",)))} == {c.id for c in water}
        assert [s.text for s, _ in reader.sentences(water[1:], query)] == [s.text for s in water[1].sentences]
        store.delete_article("water")
        assert reader.nearest(query, 5) == [] and reader.lexical_search("desalination", 5) == []

    def test_terms_from_older_code_are_reindexed_once(self, open_store, store, chunker, embedder):
        water = write(store, chunker, WATER)
        with sqlite3.connect(store.lexical.path) as db:  # as if terms() had emitted something else before
            db.execute("UPDATE bodies SET body = 'stale'")
            db.execute("UPDATE meta SET value = '0' WHERE key = 'terms_version'")
        reopened = open_store(embedder)
        assert reopened.lexical.terms_version() == analysis.TERMS_VERSION
        assert reopened.lexical_search("desalination", k=1)[0][0] == water[0].id
        assert reopened.lexical.miscounted_terms() == 0 and reopened.check() == []


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
