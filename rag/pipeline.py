"""One question through retrieve → answer → cite, with the model and store opened once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from errors import InputError
from rag.answer import ExtractiveAnswerer
from rag.conversation import Turn, retrieval_query
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

    def ask(
        self, question: str, k: int, filters: Filters | None = None, history: list[Turn] | None = None
    ) -> Answer:
        """Answer `question` from the k best passages among those that pass `filters`; `history` holds the
        conversation's earlier turns, so that a follow-up is searched with the subject it leans on."""
        question = question.strip()
        if not question:
            raise InputError("question", "the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError("question", f"the question is longer than {MAX_QUESTION_CHARS} characters")
        query = retrieval_query(question, history or [])
        # A follow-up finds its article with the borrowed subject, but picks its sentence by what it asks itself:
        # with the previous question in the query, the answer would repeat the previous answer.
        vectors = self.retriever.store.embedder.embed_queries(list(dict.fromkeys([question, query])))
        passages = self.retriever.retrieve(query, k, filters, vectors[-1])
        return self.answerer.answer(question, vectors[0], passages)

    def stream(
        self, question: str, k: int, filters: Filters | None = None, history: list[Turn] | None = None
    ) -> Iterator[dict]:
        """The answer as events: {"event": "delta", "text"} pieces, sentence by sentence, then
        {"event": "answer", "answer": the JSON of `ask`}."""
        answer = self.ask(question, k, filters, history)
        for piece in _pieces(answer):
            yield {"event": "delta", "text": piece}
        yield {"event": "answer", "answer": answer.to_json()}


def _pieces(answer: Answer) -> list[str]:
    """The answer's text cut after the source's name and after each cited sentence's [n]."""
    if answer.abstained or not answer.citations:
        return [answer.text]
    cuts = [answer.text.index(answer.citations[0].text)]
    at = 0
    for citation in answer.citations:
        marker = f"{citation.text} [{citation.n}]"
        at = answer.text.index(marker, at) + len(marker)
        cuts.append(at)
    bounds = [0, *cuts, len(answer.text)]
    return [answer.text[a:b] for a, b in zip(bounds, bounds[1:]) if answer.text[a:b]]
