"""One question through retrieve → answer → cite, with the model and store opened once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from errors import InputError
from ingest.duplicates import AlternateSources
from rag.answer import ExtractiveAnswerer
from rag.conversation import Turn, retrieval_query
from rag.llm import LLMAnswerer
from rag.retrieve import Retriever
from rag.scorer import SHIPPED as SHIPPED_SCORER
from rag.scorer import AnswerScorer
from rag.verify import CitationVerifier
from records import Answer, Filters
from settings import Settings
from vectorstore.embedder import Embedder
from vectorstore.store import ChunkStore

MAX_QUESTION_CHARS = 2000
MAX_K = 50  # passages one question may ask for


@dataclass
class AskPipeline:
    """The parts a question goes through; built once per process."""

    retriever: Retriever
    answerer: ExtractiveAnswerer
    alternates: AlternateSources  # other URLs of the cited stories, kept by URL ingest
    llm: LLMAnswerer | None = None

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> AskPipeline:
        """Open the store described by `settings`, loading the model unless one is given."""
        scorer = AnswerScorer.load(settings.answer_model or SHIPPED_SCORER)  # a bad file fails before the model loads
        return cls.over(ChunkStore(settings, embedder or Embedder(settings)), settings, scorer)

    @classmethod
    def over(cls, store: ChunkStore, settings: Settings, scorer: AnswerScorer | None = None) -> AskPipeline:
        """The pipeline over an open store, with the scorer the settings name unless one is given."""
        scorer = scorer or AnswerScorer.load(settings.answer_model or SHIPPED_SCORER)
        extractive = ExtractiveAnswerer(store, scorer)
        llm = LLMAnswerer(settings, extractive, CitationVerifier(store, settings)) if settings.llm_base_url else None
        return cls(Retriever(store, settings), extractive, AlternateSources(settings.data_dir), llm)

    def ask(
        self, question: str, k: int, filters: Filters | None = None, history: list[Turn] | None = None
    ) -> Answer:
        """Answer `question` from the k best passages among those that pass `filters`; `history` holds the
        conversation's earlier turns, so that a follow-up is searched with the subject it leans on."""
        *_, last = self.stream(question, k, filters, history)
        return last["answer"]

    def stream(
        self, question: str, k: int, filters: Filters | None = None, history: list[Turn] | None = None
    ) -> Iterator[dict]:
        """The answer as events: {"event": "delta", "text"} as it is written (a language model's tokens, or
        sentence by sentence), then {"event": "answer", "answer": the Answer}."""
        question = question.strip()
        if not question:
            raise InputError("question", "the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError("question", f"the question is longer than {MAX_QUESTION_CHARS} characters")
        history = history or []
        embed = self.retriever.store.embedder.embed_queries
        if self.llm and history:
            # A condensed follow-up stands on its own: it is both searched and answered.
            asked = query = self.llm.condense(question, [(t.question, t.answer) for t in history])
        else:
            # An expanded follow-up finds its article with the borrowed subject, but picks its sentence by what
            # it asks itself: with the previous question in it, the answer would repeat the previous answer.
            asked, query = question, retrieval_query(question, history)
        vectors = embed(list(dict.fromkeys([asked, query])))
        passages = self.retriever.retrieve(query, k, filters, vectors[-1])
        if self.llm:
            for piece in self.llm.stream(asked, vectors[0], passages):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    yield {"event": "delta", "text": piece}
        else:
            answer = self.answerer.answer(asked, vectors[0], passages, rerank=asked == query)
            for piece in _pieces(answer):
                yield {"event": "delta", "text": piece}
        answer.question = question
        self.alternates.attach(answer)
        yield {"event": "answer", "answer": answer}


def _pieces(answer: Answer) -> list[str]:
    """An extractive answer's text cut after the source's name and after each cited sentence's [n]."""
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
