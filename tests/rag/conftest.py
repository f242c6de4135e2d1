"""One store of the cross-lingual fixture articles, shared by the tests that only read from it."""

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from rag.pipeline import AskPipeline
from vectorstore.store import ChunkStore

CROSSLINGUAL = Path(__file__).parent.parent / "fixtures" / "crosslingual"


@pytest.fixture(scope="session")
def pipeline(base_settings, embedder, tmp_path_factory) -> AskPipeline:
    settings = base_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("crosslingual")})
    ingest_paths([CROSSLINGUAL], settings, ChunkStore(settings, embedder))
    return AskPipeline.open(settings, embedder)
