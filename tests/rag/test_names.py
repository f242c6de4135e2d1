"""Names across scripts: a name written in Latin letters finds its Arabic spelling, and the reverse."""

from pathlib import Path

import pytest

from analysis import name_key, name_keys, name_respellings, normalize, terms
from ingest.pipeline import ingest_paths
from rag.retrieve import Retriever
from vectorstore.store import ChunkStore

NAMES = Path(__file__).parent.parent / "fixtures" / "names"


@pytest.mark.parametrize("latin, arabic", [
    ("Peskov", "بيسكوف"), ("Tokayev", "توكاييف"), ("Bachelet", "باشليت"), ("Putin", "بوتين"),
    ("Erdogan", "أردوغان"), ("Zelensky", "زيلينسكي"), ("Macron", "ماكرون"), ("Sokolov", "سوكولوف"),
    ("Fedorova", "فيدوروفا"), ("Volkov", "فولكوف"),  # a first «ف» or «و» may be the name's own letter
])
def test_latin_and_arabic_spellings_share_a_key(latin, arabic):
    assert name_key(normalize(latin)) == name_key(normalize(arabic)) is not None


def test_a_name_after_the_conjunction_keeps_its_key():
    assert name_key(normalize("Peskov")) in name_keys(normalize("وبيسكوف"))
    assert name_key(normalize("Fedorova")) in name_keys(normalize("فيدوروفا"))


@pytest.mark.parametrize("latin, arabic", [
    ("Goubantini", "القوبنطيني"),  # the Maghreb's g for «ق»
    ("Johnson", "جونسون"),  # a silent h
    ("Mahfoudh", "محفوظ"),  # dh for «ظ»
    ("Palestinian", "فلسطين"),  # p for «ف», and an adjective made from the name
    ("Bensedrine", "سدرين"),  # «بن سدرين»: Arabic writes «بن» as a word of its own
    ("Abdellatif", "اللطيف"),
])
def test_a_latin_name_has_its_arabic_spellings_key_among_its_respellings(latin, arabic):
    [(key, others)] = name_respellings(latin).items()
    assert key == name_key(normalize(latin)) and name_key(normalize(arabic)) in others


def test_only_latin_names_are_respelt():
    assert name_respellings("what did the minister say about the ports of Gabès? قال القوبنطيني") == {}


@pytest.mark.parametrize("word", ["Haddad", "ال", "في", "Gaza"])
def test_short_skeletons_make_no_key(word):
    assert name_key(normalize(word)) is None  # fewer than three consonants match common words by chance


@pytest.fixture
def store(settings, embedder):
    store = ChunkStore(settings, embedder)
    ingest_paths([NAMES], settings, store)
    return store


@pytest.mark.parametrize("question, expected", [
    ("What did Peskov say?", "peskov-ar.md"),
    ("Where was Tokayev mentioned?", "tokayev-ar.md"),
    ("Bachelet", "bachelet-ar.md"),
    ("ماذا قال سوكولوف؟", "sokolov-en.md"),
    ("أين ورد اسم زيلينسكي؟", "zelensky-en.md"),
    ("What did Goubantini say?", "goubantini-ar.md"),  # asked by the spelling the store holds, «القوبنطيني»
])
def test_lexical_search_matches_names_across_scripts(store, question, expected):
    best, _ = store.lexical_search(question, k=3)[0]
    [passage] = store.passages([best], store.embedder.embed_queries([question])[0])
    assert Path(passage.chunk.source).name == expected


@pytest.mark.parametrize("question, expected", [
    ("What did Peskov say?", "peskov-ar.md"),
    ("ماذا قال سوكولوف؟", "sokolov-en.md"),
])
def test_hybrid_retrieval_puts_the_named_article_first(store, settings, question, expected):
    passages = Retriever(store, settings).retrieve(question, k=3)
    assert Path(passages[0].chunk.source).name == expected


def test_a_name_the_store_holds_as_written_is_not_respelt(store):
    # "Peskov" is in the store under its own key, so its respelling ("Feskov") is not asked instead
    assert store.lexical.question_terms("What did Peskov say?") == terms("What did Peskov say?")
    assert name_key("feskov") in name_respellings("Peskov")["~BSKF"]
