"""The REST API under /api: questions (whole or streamed as Server-Sent Events), health, and articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from errors import InputError, SanadError, StoreError
from ingest.fetch import check_url
from ingest.readers import read_record
from rag.conversation import Turn
from rag.pipeline import MAX_K, MAX_QUESTION_CHARS
from records import Chunk, Filters, day_number
from web.guards import AdminGuard, ApiPaths, QuestionGuard, RateLimiter
from web.jobs import JobsFull
from web.service import Sanad

MAX_HISTORY_TURNS = 20
MAX_ARTICLES_PER_REQUEST = 500
# Paging past a billion articles means a mistake; bounded, a huge offset is a 422 rather than an overflow.
MAX_OFFSET = 1_000_000_000
MAX_URL_CHARS = 2_000
_ARTICLE_FIELDS = ("title", "source", "author", "published", "url", "lang")


def _page_address(value: str) -> str:
    """An absolute http(s) address with a host: what a page's canonical URL is."""
    try:
        return check_url(value)
    except InputError:
        raise ValueError("must be a page's address, starting with http:// or https://") from None


PageAddress = Annotated[str, Field(max_length=MAX_URL_CHARS), AfterValidator(_page_address)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FiltersIn(_Strict):
    """Which articles may answer; every field is optional and empty fields do not filter."""

    published_from: str = Field("", description="On or after this date, e.g. 2026-03-01.")
    published_to: str = Field("", description="On or before this date.")
    sources: list[str] = Field(default_factory=list, max_length=100)
    authors: list[str] = Field(default_factory=list, max_length=100)
    langs: list[str] = Field(default_factory=list, max_length=20, description="Language codes, e.g. ar, en.")


class TurnIn(_Strict):
    """An earlier turn of the conversation, as the client showed it."""

    question: str = Field(max_length=MAX_QUESTION_CHARS)
    answer: str = Field(max_length=20_000)
    source_title: str = Field("", max_length=1_000, description="Title of the article the answer cited first.")


class AskIn(_Strict):
    question: str = Field(
        min_length=1, max_length=MAX_QUESTION_CHARS, examples=["What did the minister say about the water project?"]
    )
    k: int | None = Field(None, ge=1, le=MAX_K, description="Passages to return; default SANAD_TOP_K.")
    history: list[TurnIn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    filters: FiltersIn | None = None
    article_url: PageAddress | None = Field(None, description=(
        "The page the question is asked on: answered from that stored article first, and from all of them "
        "when it does not answer; `from_article` and a note say which."
    ))


class ArticleIn(_Strict):
    title: str = Field(min_length=1, max_length=1_000)
    text: str = Field(min_length=1, max_length=1_000_000)
    id: str = Field("", max_length=200, description="Your id for the article; default: from url, else title and text.")
    url: str = Field("", max_length=2_000)
    author: str = Field("", max_length=500)
    published: str = Field("", max_length=40, description="ISO 8601 date, e.g. 2026-03-14.")
    lang: str = Field("", max_length=10, description="Language code; default: guessed.")
    source: str = Field("api", max_length=500, description="The publication or feed the article came from.")

    @field_validator("text", "title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("published")
    @classmethod
    def _a_date(cls, value: str) -> str:
        if value and not day_number(value):
            raise ValueError("must be a date like 2026-03-14")
        return value

    @field_validator("url")
    @classmethod
    def _a_web_address(cls, value: str) -> str:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class ArticlesIn(_Strict):
    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_ARTICLES_PER_REQUEST)

    @model_validator(mode="after")
    def _ids_unique(self) -> ArticlesIn:
        ids = [a.id for a in self.articles if a.id]
        if len(ids) != len(set(ids)):
            raise ValueError("two articles have the same id")
        return self


def _filters(given: FiltersIn | None) -> Filters | None:
    if given is None:
        return None
    return Filters(
        given.published_from, given.published_to, tuple(given.sources), tuple(given.authors), tuple(given.langs)
    )


def _article(first: Chunk) -> dict:
    return {"id": first.article_id, **{name: getattr(first, name) for name in _ARTICLE_FIELDS}}


def _history(given: list[TurnIn]) -> list[Turn]:
    return [Turn(t.question, t.answer, t.source_title) for t in given]


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _problem(error) -> str:
    where = ".".join(str(part) for part in error["loc"] if part != "body")
    return f"{where}: {error['msg']}" if where else error["msg"]


def install_error_handlers(app: FastAPI) -> None:
    """Every API error is {"error": "what is wrong"}; validation errors also list each problem, and unknown API
    paths and methods are answered here rather than by the chat mounted at /."""
    app.add_middleware(ApiPaths)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        for e in error.errors():
            if e["type"] == "json_invalid":
                where = e["loc"][-1]
                message = f"the request body is not valid JSON: {e['ctx']['error']} at character {where}"
                return JSONResponse({"error": message}, 400)
        problems = [_problem(e) for e in error.errors()]
        return JSONResponse({"error": "; ".join(problems), "problems": problems}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, error.status_code, headers=error.headers)

    @app.exception_handler(SanadError)
    async def sanad_error(request: Request, error: SanadError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, 503 if isinstance(error, StoreError) else 422)


def api_router(sanad: Sanad, limiter: RateLimiter) -> APIRouter:
    """The /api routes over one Sanad; questions count against `limiter`, which the chat shares."""
    settings = sanad.settings
    ask_guard = Depends(QuestionGuard(settings, limiter))
    admin_guard = AdminGuard(settings)
    admin = Depends(admin_guard)
    router = APIRouter(prefix="/api")

    @router.post("/ask", dependencies=[ask_guard], summary="Answer a question, with citations")
    def ask(body: AskIn) -> dict:
        """The answer in the JSON shape of `python -m rag ask --json`."""
        return sanad.ask(
            body.question, body.k, _filters(body.filters), _history(body.history), body.article_url or ""
        ).to_json()

    @router.post(
        "/ask/stream", dependencies=[ask_guard], summary="Answer a question as Server-Sent Events",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": (
            "`delta` events ({\"text\"}) as the answer is written, then one `answer` event with the whole "
            "answer as /api/ask returns it; a failure after the stream began is an `error` event ({\"error\"})."
        )}},
    )
    def ask_stream(body: AskIn) -> StreamingResponse:
        events = sanad.stream(
            body.question, body.k, _filters(body.filters), _history(body.history), body.article_url or ""
        )
        # The first event is computed before the response starts, so a bad question is still a 4xx.
        first = next(events)

        def encoded(stream: Iterator[dict]) -> Iterator[str]:
            try:
                for event in stream:
                    if event["event"] == "delta":
                        yield _sse("delta", {"text": event["text"]})
                    else:
                        yield _sse("answer", event["answer"].to_json())
            except SanadError as error:
                yield _sse("error", {"error": str(error)})

        return StreamingResponse(
            encoded(chain([first], events)), media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.get("/health", summary="Whether Sanad is up, and what it holds")
    def health(request: Request) -> dict:
        """With SANAD_FEEDS, each feed's address and errors only for the admin token; others see counts."""
        return sanad.health(feed_details=admin_guard.admits(request))

    @router.get("/articles", summary="The stored articles, a page at a time")
    def articles(
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0, limit: Annotated[int, Query(ge=1, le=100)] = 20
    ) -> dict:
        total, firsts = sanad.articles(offset, limit)
        return {"total": total, "offset": offset, "limit": limit, "articles": [_article(c) for c in firsts]}

    @router.get("/articles/at", summary="The stored article at a page's URL")
    def article_at(url: Annotated[PageAddress, Query()]) -> dict:
        """The article whose URL (or a near-duplicate copy's) is `url`, as /api/articles lists it; 404 if none.
        The widget asks this on an article's page."""
        found = sanad.article_at(url)
        if found is None:
            raise HTTPException(404, f"no stored article at {url}")
        return _article(found)

    @router.post(
        "/articles", dependencies=[admin], summary="Add or update articles (admin token)",
        responses={202: {"description": "With `background=true`: the job that will write them (see /api/jobs)."}},
    )
    def add_articles(
        body: ArticlesIn,
        background: Annotated[bool, Query(description=(
            "Answer at once with a job (202) and write in the background; for large or many articles."
        ))] = False,
    ) -> dict:
        """Embeds and stores the articles; ones already stored unchanged are left as they are. The whole request
        is checked before anything is stored; each article is then stored whole or not at all."""
        # Without an id or a URL, an article is named by its text: sent again changed, it is another article.
        read = [
            read_record(a.model_dump(), Path(a.source), fallback_key=f"{a.source}\x1f{a.title}\x1f{a.text}")
            for a in body.articles
        ]
        if background:
            try:
                job = sanad.jobs.submit(read)
            except JobsFull as error:
                raise HTTPException(503, str(error), headers={"Retry-After": "30"}) from None
            return JSONResponse(job, 202, headers={"Location": f"/api/jobs/{job['job']}"})
        report = sanad.add(read)
        return {
            "added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "chunks": report.chunks, "ids": [a.id for a in read],
        }

    @router.get("/jobs/{job}", dependencies=[admin], summary="A background write's status (admin token)")
    def job_status(job: str) -> dict:
        """`queued`, `running` (`done` of `articles` written so far), `done` (with what POST /api/articles
        returns), `failed` or `interrupted` (with `error`); kept a week after it finished."""
        found = sanad.jobs.status(job)
        if found is None:
            raise HTTPException(404, f"no write job {job!r}")
        return found

    # `:path` lets an id hold "/" (URL-derived ids do); the client percent-encodes anything else.
    @router.delete("/articles/{article_id:path}", dependencies=[admin], summary="Remove an article (admin token)")
    def delete_article(article_id: str) -> dict:
        chunks = sanad.delete(article_id)
        if not chunks:
            raise HTTPException(404, f"no article with id {article_id!r}")
        return {"deleted": article_id, "chunks": chunks}

    return router
