"""Listing and deleting stored articles in a real store: by id, canonical URL, fetched URL, file or source."""

import pytest

from errors import InputError
from ingest.duplicates import NearDuplicates
from ingest.fetch import Fetcher
from ingest.manage import delete, stored_articles
from ingest.pipeline import IngestReport, ingest_paths
from ingest.remote import Item, ingest_items
from tests.ingest.site import HARVEST, WATER, page


@pytest.fixture
def stored(site, store_settings, embedder, tmp_path):
    from vectorstore.store import ChunkStore

    store = ChunkStore(store_settings, embedder)
    fetched = site.add("/ar/water?from=rss", page(WATER, canonical=site.base + "/ar/water"))
    harvest = site.add("/ar/harvest", page(HARVEST))
    with Fetcher(store_settings) as fetcher:
        ingest_items([Item(url=u, source=u) for u in (fetched, harvest)], fetcher, store_settings, store, IngestReport())
    (tmp_path / "note.txt").write_text("آراء\nعنوان الرأي\n\nنص المقال هنا.\n", encoding="utf-8")
    ingest_paths([tmp_path / "note.txt"], store_settings, store)
    near = NearDuplicates(store_settings.data_dir)
    yield store, near, fetched, harvest, tmp_path / "note.txt"
    near.close()


def test_list_filters(stored, site):
    store, _, fetched, harvest, note = stored
    assert sorted(c.article_id for c in stored_articles(store)) == sorted(
        [site.base + "/ar/water", harvest, next(c.article_id for c in stored_articles(store, source=str(note)))]
    )
    assert [c.title for c in stored_articles(store, since="2026-06-01")] == [HARVEST["title"]]
    assert [c.section for c in stored_articles(store, source=str(note))] == ["آراء"]
    with pytest.raises(InputError, match="is not a date"):
        list(stored_articles(store, since="soon"))


def test_delete_by_fetched_url_file_and_unknown_name(stored, site):
    store, near, fetched, harvest, note = stored
    articles, chunks, errors = delete(store, near, [fetched, str(note), "nothing-here"])
    assert (articles, [str(e) for e in errors]) == (2, ["nothing-here: no stored article has this id or URL"])
    assert chunks >= 2 and [c.article_id for c in stored_articles(store)] == [harvest]
    assert delete(store, near, [], source=harvest)[:2] == (1, 1) and store.count() == 0
