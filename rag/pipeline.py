"""One question through retrieve → answer → cite, with the model and store opened once."""

from __future__ import annotations

from dataclasses import dataclass

from errors import InputError
from rag.answer import ExtractiveAnswerer
from rag.retrieve import Retriever
from records import Answer, Filters
from settings import Settings
from vectorstore.embedder import Embedder
from vectorstore.store import ChunkStore

MAX_QUESTION_CHARS = 2000


@dataclass
class AskPipeline:
    """The parts a question goes through; built once per process."""

    retriever: Retriever
    answerer: ExtractiveAnswerer

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> AskPipeline:
        """Open the store described by `settings`, loading the model unless one is given."""
        embedder = embedder or Embedder(settings)
        return cls(Retriever(ChunkStore(settings, embedder), settings), ExtractiveAnswerer(embedder))

    def ask(self, question: str, k: int, filters: Filters | None = None) -> Answer:
        """Answer `question` from the k best passages among those that pass `filters`."""
        question = question.strip()
        if not question:
            raise InputError("question", "the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError("question", f"the question is longer than {MAX_QUESTION_CHARS} characters")
        return self.answerer.answer(question, self.retriever.retrieve(question, k, filters))
