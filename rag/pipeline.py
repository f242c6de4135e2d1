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
        store = ChunkStore(settings, embedder or Embedder(settings))
        return cls(Retriever(store, settings), ExtractiveAnswerer(store, settings))

    def ask(self, question: str, k: int, filters: Filters | None = None) -> Answer:
        """Answer `question` from the k best passages among those that pass `filters`."""
        question = question.strip()
        if not question:
            raise InputError("question", "the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError("question", f"the question is longer than {MAX_QUESTION_CHARS} characters")
        vector = self.retriever.store.embedder.embed_queries([question])[0]
        return self.answerer.answer(question, vector, self.retriever.retrieve(question, k, filters, vector))
