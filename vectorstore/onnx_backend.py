"""The embedding model on ONNX Runtime: exported once from the sentence-transformers folder, fp32 or int8 weights.

The export lives in `MODEL_DIR/onnx/<model folder>-<hash of its files>/`: the transformer as `model.onnx`, its
dynamically quantized twin `model-int8.onnx`, the tokenizer, and `manifest.json` with what the Embedder needs from
the sentence-transformers model (prompts, window, dimension). A changed model has another hash, so another folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from errors import ModelError

FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
MANIFEST = "manifest.json"
KEYS_FILE = "model-keys.json"  # the model folders' hashes, with what their files looked like (model_key)
# One thread per core for a batch (bench/README.md: on this busy 2-core machine one thread did as well as two,
# so this is no loss there and the speed-up on a quiet one). Threads sleep between operators unless
# SANAD_ONNX_SPINNING says otherwise: a spinning thread takes the core from the other requests and processes that
# share it.
INTRA_OP_THREADS = os.cpu_count() or 1
_OPSET = 17
# Changing how the files are made changes this, and so the folder they are cached in.
_RECIPE = f"opset {_OPSET}, eager attention; int8: dynamic, per channel"


def model_key(folder: Path, memo: Path | None = None) -> str:
    """A short hash of every file in a model folder, names and contents, and of how we export: it names the export.

    Hashing the bundled model's 465 MB took 0.4-0.8 s at every process start; with `memo`, a file beside the
    exports, the hash is kept with each file's size and modification time and reused while none of them moves."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    seen = [[str(p.relative_to(folder)), stat.st_size, stat.st_mtime_ns] for p in files if (stat := p.stat())]
    place = str(folder.resolve())
    memos = _read_memo(memo) if memo else {}
    known = memos.get(place, {})
    if known.get("files") == seen and known.get("recipe") == _RECIPE:
        return known["key"]
    digest = hashlib.sha256(_RECIPE.encode())
    for path in files:
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        with path.open("rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    key = digest.hexdigest()[:16]
    if memo:
        memo.parent.mkdir(parents=True, exist_ok=True)
        kept = memos | {place: {"files": seen, "recipe": _RECIPE, "key": key}}
        _replace_atomically(memo, lambda path: path.write_text(json.dumps(kept), encoding="utf-8"))
    return key


def _read_memo(memo: Path) -> dict:
    try:
        return json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent or broken: hashed again and written afresh
        return {}


def cuda_available() -> bool:
    """Whether the installed onnxruntime can run on a GPU."""
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def _replace_atomically(target: Path, write) -> None:
    """Run `write(path)` on a temporary name beside `target`, then rename: a crash never leaves half a file."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _export(model_folder: Path, folder: Path) -> None:
    """Export the transformer of a mean-pooled sentence-transformers model, and what the Embedder reads from it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    model = SentenceTransformer(str(model_folder), device="cpu")
    modules = list(model)
    fits = (
        len(modules) in (2, 3) and isinstance(modules[0], Transformer) and isinstance(modules[1], Pooling)
        and modules[1].pooling_mode == "mean" and modules[1].include_prompt
        and all(isinstance(m, Normalize) for m in modules[2:])
    )
    if not fits:
        raise ModelError(
            f"the ONNX backends run transformer + mean pooling models only, not {model_folder} "
            f"({', '.join(type(m).__name__ for m in modules)}); use SANAD_EMBED_BACKEND=torch"
        )
    transformer = modules[0].auto_model.eval()
    # Eager attention traces to plain operators that ONNX Runtime fuses into its Attention kernel; the SDPA
    # trace ran 20% slower and holds shape-dependent branches frozen at export.
    transformer.set_attn_implementation("eager")

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    folder.mkdir(parents=True, exist_ok=True)
    model.tokenizer.save_pretrained(str(folder))
    manifest = {"prompts": model.prompts, "max_seq_length": model.max_seq_length,
                "dim": model.get_embedding_dimension()}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    example = (torch.tensor([[0, 10, 20, 2], [0, 30, 2, 1]]), torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    dynamic = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "last_hidden_state")}

    def write(path: Path) -> None:
        with torch.inference_mode():
            torch.onnx.export(
                LastHiddenState().eval(), example, str(path), input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"], dynamic_axes=dynamic, opset_version=_OPSET, dynamo=False,
            )

    _replace_atomically(folder / FP32_FILE, write)


def _quantize(folder: Path) -> None:
    """int8 weights, activations quantized per batch at run time (onnxruntime's dynamic mode).

    One scale per output channel, not per matrix: mean cosine to fp32 0.996 instead of 0.985 on news-ar
    sentences, at the same size and speed; keeping the embeddings or the last two layers in fp32 instead
    gained nothing (bench/README.md)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    _replace_atomically(
        folder / INT8_FILE,
        lambda path: quantize_dynamic(folder / FP32_FILE, path, weight_type=QuantType.QInt8, per_channel=True),
    )


def _build(model_folder: Path, folder: Path, file: str) -> None:
    """Make whatever of the export is missing, saying so once, and drop the exports of older versions."""
    print(f"building the ONNX embedding model once (a minute or two): {folder / file}", file=sys.stderr)
    try:
        # The tracer's and quantizer's advice is for their developers; the message above is the user's.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.disable(logging.WARNING)
            try:
                if not (folder / FP32_FILE).exists() or not (folder / MANIFEST).exists():
                    _export(model_folder, folder)
                if file == INT8_FILE:
                    _quantize(folder)
            finally:
                logging.disable(logging.NOTSET)
    except ModelError:
        raise
    except Exception as error:  # the exporter and the quantizer fail in many ways; all mean "no usable file"
        raise ModelError(f"cannot build the ONNX model {folder / file}: {_first_line(error)}") from error
    for old in folder.parent.glob(f"{model_folder.name}-*"):
        if old != folder and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _readable(manifest: Path) -> bool:
    try:
        return isinstance(json.loads(manifest.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


@lru_cache(maxsize=None)
def _session(path: str, version: tuple[int, int], device: str, spinning: bool):
    """One ONNX Runtime session per file, device and threading in a process: `run` is thread-safe, so all
    requests share it.

    `version` (size, mtime) keys the cache too, so a file rebuilt in place gets a new session."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.log_severity_level = 3  # its warnings about unused initializers are not the user's concern
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
    return onnxruntime.InferenceSession(path, options, providers=providers)


class OnnxEngine:
    """Padded token ids in, mean-pooled vectors out, through an exported model on ONNX Runtime."""

    def __init__(self, folder: Path, file: str, device: str, spinning: bool):
        from transformers import AutoTokenizer

        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        self.prompts: dict[str, str] = manifest["prompts"]
        self.max_seq_length: int = manifest["max_seq_length"]
        self.dim: int = manifest["dim"]
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        path = folder / file
        stat = path.stat()
        self._session = _session(str(path), (stat.st_size, stat.st_mtime_ns), device, spinning)

    @classmethod
    def open(cls, model_folder: Path, cache: Path, quantized: bool, device: str, spinning: bool) -> OnnxEngine:
        """The export of `model_folder` under `cache`, built on first use and rebuilt when a file of it is broken."""
        if not model_folder.is_dir():
            raise ModelError(
                f"the ONNX backends need the model as a folder on disk, and {model_folder} is not one; "
                "use SANAD_EMBED_BACKEND=torch for a model from the hub"
            )
        folder = cache / f"{model_folder.name}-{model_key(model_folder, cache / KEYS_FILE)}"
        file = INT8_FILE if quantized else FP32_FILE
        if not (folder / file).exists() or not (folder / MANIFEST).exists():
            _build(model_folder, folder, file)
        try:
            return cls(folder, file, device, spinning)
        except Exception as error:  # a truncated or foreign file: build it again, once
            print(f"the cached ONNX model cannot be read ({_first_line(error)}); rebuilding it", file=sys.stderr)
        (folder / file).unlink(missing_ok=True)
        if file == FP32_FILE or not _readable(folder / MANIFEST):
            (folder / MANIFEST).unlink(missing_ok=True)  # so that the export runs again
        _build(model_folder, folder, file)
        try:
            return cls(folder, file, device, spinning)
        except Exception as error:
            raise ModelError(f"cannot load the ONNX model {folder / file}: {_first_line(error)}") from error

    def pool(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Mean of the token vectors under the mask, as sentence-transformers' Pooling("mean") computes it."""
        hidden = self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        mask = attention_mask[..., None].astype(np.float32)
        return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
