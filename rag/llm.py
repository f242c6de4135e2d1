"""Answers written by a language model through LangChain, checked citation by citation, with the extractive
answer as the fallback whenever the model errs, times out, refuses wrongly or cites what its passages do not say.

Any OpenAI-compatible server works (vLLM, llama.cpp's server, Ollama's /v1, hosted APIs): SANAD_LLM_BASE_URL,
SANAD_LLM_MODEL and SANAD_LLM_API_KEY.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from analysis import guess_language
from rag.answer import ExtractiveAnswerer, in_language
from rag.verify import CitationVerifier
from records import Answer, Passage
from settings import Settings

NO_ANSWER = "NO_ANSWER"
_SYSTEM = (
    "You answer questions about news articles using only the numbered passages given. "
    "Answer in the language of the question, in one to three short sentences. "
    "End every sentence with the number of the passage that supports it, like [1] or [2]. "
    "Never state anything the passages do not say; quote names, numbers and dates exactly as they appear. "
    f"If the passages do not answer the question, reply with exactly {NO_ANSWER}."
)
_CONDENSE = (
    "Rewrite the last question of this conversation so that it can be understood on its own, in its own "
    "language, naming whatever it refers to. Reply with the rewritten question only."
)
_FALLBACK_NOTE = {
    "ar": "تعذّر استخدام إجابة النموذج اللغوي ({reason})؛ هذه الإجابة مقتبسة من المقالات مباشرة.",
    "en": "The language model's answer could not be used ({reason}); this answer is quoted from the articles.",
}
_REMOVED_NOTE = {
    "ar": "حُذفت جملة من إجابة النموذج لأنها {problem}: «{text}»",
    "en": "A sentence of the model's answer was removed because it {problem}: \"{text}\"",
}


def _prompt(question: str, passages: list[Passage]) -> list[tuple[str, str]]:
    numbered = "\n\n".join(
        f"[{n}] {p.chunk.title} ({p.chunk.published or 'undated'})\n{p.chunk.text}" for n, p in enumerate(passages, 1)
    )
    return [("system", _SYSTEM), ("human", f"Passages:\n\n{numbered}\n\nQuestion: {question}")]


class LLMAnswerer:
    """A chat model over OpenAI's API, behind verification, in front of the extractive answerer."""

    def __init__(self, settings: Settings, extractive: ExtractiveAnswerer, verifier: CitationVerifier):
        from langchain_openai import ChatOpenAI

        self.model = ChatOpenAI(
            base_url=settings.llm_base_url, model=settings.llm_model,
            api_key=settings.llm_api_key.get_secret_value() if settings.llm_api_key else "none",
            timeout=settings.llm_timeout_seconds, max_retries=0, temperature=0,
        )
        self.extractive = extractive
        self.verifier = verifier

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """The follow-up rewritten to stand alone, or the question itself when the model cannot help."""
        turns = "\n".join(f"Q: {q}\nA: {a}" for q, a in history)
        try:
            rewritten = self.model.invoke([("system", _CONDENSE), ("human", f"{turns}\nQ: {question}")]).content
        except Exception:  # a follow-up searched as asked is still a search
            return question
        return rewritten.strip() or question

    def stream(self, question: str, vector: np.ndarray, passages: list[Passage]) -> Iterator[str | Answer]:
        """The model's tokens as they come, then the verified Answer (or the extractive one, saying why)."""
        if not passages:
            yield self.extractive.answer(question, vector, passages)
            return
        pieces = []
        try:
            for chunk in self.model.stream(_prompt(question, passages)):
                if chunk.content:
                    pieces.append(chunk.content)
                    yield chunk.content
        except Exception as error:  # timeouts, HTTP errors and broken streams all end the same way
            yield self._fallback(question, vector, passages, _reason(error))
            return
        yield self._verified(question, vector, passages, "".join(pieces).strip())

    def _verified(self, question: str, vector: np.ndarray, passages: list[Passage], text: str) -> Answer:
        language = guess_language(question)
        if text == NO_ANSWER:
            answer = self.extractive.answer(question, vector, passages)
            if not answer.abstained:
                _explain(answer, question, "it found no answer where the articles quote one")
            return answer
        checked = self.verifier.check(text, passages, language)
        kept = [c for c in checked if not c.problem]
        if not kept:
            return self._fallback(question, vector, passages, checked[0].problem if checked else "it was empty")
        notes = [
            in_language(_REMOVED_NOTE, language).format(problem=c.problem, text=c.text) for c in checked if c.problem
        ]
        cited = sorted({n for c in kept for n in c.cited})
        return Answer(question, " ".join(c.text for c in kept), False, passages, mode="llm", notes=notes,
                      cited=cited)

    def _fallback(self, question: str, vector: np.ndarray, passages: list[Passage], reason: str) -> Answer:
        return _explain(self.extractive.answer(question, vector, passages), question, reason)


def _explain(answer: Answer, question: str, reason: str) -> Answer:
    """The extractive answer, noting why the model's was not used."""
    answer.notes.append(in_language(_FALLBACK_NOTE, guess_language(question)).format(reason=reason))
    return answer


def _reason(error: Exception) -> str:
    name = type(error).__name__
    if "Timeout" in name:
        return "the model did not answer in time"
    status = getattr(error, "status_code", None)
    return f"the model's server answered {status}" if status else f"the model's server failed: {name}"
