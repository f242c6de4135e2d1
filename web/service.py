"""Sanad as the web app uses it: the model and the store opened once and shared by the chat, the API and the
widget, and with SANAD_FEEDS the feed poller of `ingest watch` in a thread, writing to the same store. Questions
are answered in parallel, and never wait for writes (ingest over HTTP or from feeds): articles are embedded
outside any lock, and the store serializes only its own short writes, which readers do not wait for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import zip_longest
from urllib.parse import urldefrag

from analysis import guess_language
from errors import StoreError
from ingest.chunker import Chunker
from ingest.duplicates import forget_deleted
from ingest.pipeline import IngestReport, ingest_articles
from ingest.watch import Watcher, read_feeds_file
from rag.answer import in_language
from rag.conversation import Turn
from rag.pipeline import AskPipeline
from records import Answer, Article, Chunk, Filters
from settings import Settings
from vectorstore.embedder import Embedder
from web.jobs import WriteJobs

# Example questions drawn from the articles, by their language; others get the English one.
_EXAMPLE_TEMPLATES = {"ar": "ماذا جاء في «{title}»؟", "en": "What does “{title}” report?"}
_EXAMPLES = 4
# On shutdown the poller finishes the articles it is writing (a batch of at most 16, ingest/remote.py); past this
# wait the process exits without it, and the store's write order still leaves each article whole or unseen.
_POLLER_STOP_SECONDS = 30
# What an answer to a question asked on an article's page says about where it came from.
_FROM_ARTICLE = {"ar": "الإجابة من هذا المقال: «{title}».", "en": "Answered from this article: “{title}”."}
_ARTICLE_SILENT = {
    "ar": "لا يجيب هذا المقال عن السؤال، فالإجابة من كل المقالات.",
    "en": "This article does not answer the question, so the answer is from all the articles.",
}
_ARTICLE_UNKNOWN = {
    "ar": "هذا المقال ليس بين المقالات المخزّنة، فالإجابة من كل المقالات.",
    "en": "This article is not among the stored ones, so the answer is from all the articles.",
}


class Sanad:
    """Questions, articles and health for one store."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        feeds = read_feeds_file(settings.feeds) if settings.feeds else []  # a bad file fails before the model loads
        self.pipeline = AskPipeline.open(settings, embedder)
        self.store = self.pipeline.retriever.store
        self._chunker = Chunker(
            self.store.embedder.count_tokens, settings.chunk_tokens, settings.chunk_overlap_tokens
        )
        self.watcher = Watcher(feeds, settings.feeds_every, settings, self.store) if feeds else None
        self.jobs = WriteJobs(settings.data_dir / "jobs.sqlite3", self.add)

    def start_background(self) -> None:
        """Start the worker of background writes and, if SANAD_FEEDS names a file, the feed poller."""
        self.jobs.start()
        if self.watcher:
            self.watcher.start_in_background()

    def stop_background(self) -> None:
        """Interrupt the background writes not finished; ask the poller to stop between articles, and wait for the
        ones it is writing."""
        self.jobs.stop()
        if self.watcher:
            self.watcher.stop_background(_POLLER_STOP_SECONDS)

    def stream(
        self, question: str, k: int | None = None, filters: Filters | None = None, history: list[Turn] | None = None,
        article_url: str = "",
    ) -> Iterator[dict]:
        """The pipeline's events for one question (see AskPipeline.stream); with `article_url`, answered from that
        article first (see `_on_article`). An empty store is a StoreError."""
        if not self.store.count():
            raise StoreError(
                "no articles yet: add some with `python -m ingest PATH` or send them to POST /api/articles"
            )
        k = k or self.settings.top_k
        if article_url:
            yield from self._on_article(question, k, filters, history, article_url)
        else:
            yield from self.pipeline.stream(question, k, filters, history)

    def _on_article(
        self, question: str, k: int, filters: Filters | None, history: list[Turn] | None, article_url: str
    ) -> Iterator[dict]:
        """The answer from the article at `article_url` when it answers, else from the whole store; a note says
        which."""
        language = guess_language(question)
        article = self.article_at(article_url)
        if article is None:
            note = in_language(_ARTICLE_UNKNOWN, language)
        else:
            within = replace(filters or Filters(), article_ids=(article.article_id,))
            # Computed whole before anything is sent: when the article does not answer, the client is shown only
            # the whole store's answer, not a retracted abstention.
            events = list(self.pipeline.stream(question, k, within, history))
            answer = events[-1]["answer"]
            if not answer.abstained:
                answer.from_article = article.article_id
                answer.notes.append(in_language(_FROM_ARTICLE, language).format(title=article.title or article.outlet))
                yield from events
                return
            note = in_language(_ARTICLE_SILENT, language)
        for event in self.pipeline.stream(question, k, filters, history):
            if event["event"] == "answer":
                event["answer"].notes.append(note)
            yield event

    def ask(
        self, question: str, k: int | None = None, filters: Filters | None = None, history: list[Turn] | None = None,
        article_url: str = "",
    ) -> Answer:
        """The whole answer to one question."""
        *_, last = self.stream(question, k, filters, history, article_url)
        return last["answer"]

    def article_at(self, url: str) -> Chunk | None:
        """The stored article (its first chunk) at `url`: its own URL, or a copy's kept as an alternate source."""
        url = urldefrag(url.strip()).url
        found = self.store.article_at(url)
        if found is None and (original := self.pipeline.alternates.article_of(url)):
            found = self.store.article_at(original)
        return found

    def articles(self, offset: int, limit: int) -> tuple[int, list[Chunk]]:
        """How many articles there are, and a page of them (see ChunkStore.articles)."""
        return self.store.articles(offset, limit)

    def sources(self) -> list[str]:
        """Every source with a stored article, for the chat's source filter."""
        return sorted(self.store.sources())

    def examples(self) -> list[str]:
        """The configured example questions, or some about the newest articles in each language."""
        if self.settings.example_questions:
            return self.settings.example_questions[:_EXAMPLES]
        _, firsts = self.articles(0, 200)
        newest = sorted(firsts, key=lambda chunk: chunk.published, reverse=True)
        by_language: dict[str, list[Chunk]] = {}
        for chunk in newest:
            by_language.setdefault("ar" if chunk.lang == "ar" else "en", []).append(chunk)
        # Alternate languages so that a bilingual store shows both.
        picked = [c for group in zip_longest(*by_language.values()) for c in group if c]
        return [
            in_language(_EXAMPLE_TEMPLATES, c.lang).format(title=c.title) for c in picked[:_EXAMPLES]
        ]

    def health(self, feed_details: bool = False) -> dict:
        """What /api/health reports: up, how many chunks, which model, whether a language model writes, and with
        SANAD_FEEDS how many feeds are polled and failing, with `feed_details` how each one's last poll went (feed
        addresses and errors can name internal hosts, so the public is not shown them)."""
        health = {
            "status": "ok",
            "chunks": self.store.count(),
            "model": self.store.embedder.name,
            "llm": bool(self.settings.llm_base_url),
        }
        if self.watcher:
            polls = self.watcher.report()
            health["feeds"] = {
                "polling": self.watcher.polling, "every_seconds": self.watcher.every,
                "feeds": polls if feed_details else len(polls), "failing": sum(poll["failures"] > 0 for poll in polls),
            }
        return health

    def add(self, articles: list[Article], progress: Callable[[int], None] = lambda done: None) -> IngestReport:
        """Store new and changed articles; unchanged ones are counted and left. `progress` hears of each article
        written or left."""
        report = IngestReport()
        ingest_articles(articles, self.store, self._chunker, report, progress)
        return report

    def delete(self, article_id: str) -> int:
        """Remove an article, with its near-duplicate signature and alternate URLs; returns how many chunks it had
        (0: there was no such article)."""
        removed = self.store.delete_article(article_id)
        forget_deleted(self.settings.data_dir, article_id)
        return removed
