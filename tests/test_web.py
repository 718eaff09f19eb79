"""The web app over the real model and a real index built in a temporary folder, served for real.

The model (conftest's `embedder`) loads once per session; so does the served app (conftest's `server`),
which test_browser.py shares.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from gradio_client import Client

from csobot import web
from csobot.answer import Answer
from csobot.embedding import Embedder
from csobot.errors import CsobotError
from csobot.index import build_index
from csobot.retrieval import Hit

from .conftest import CORPUS

CORPUS_FILE = CORPUS / "cso-role.md"
ZEPHYR = (
    "# Zephyr protocol\n\n"
    "The Zephyr protocol is how the security team rotates badge keys. "
    "Under the Zephyr protocol, badge keys are rotated every 45 days by the facilities desk.\n"
)


def make_library(root: Path, embedder: Embedder) -> tuple[Path, Path]:
    """A corpus folder holding a copy of the CSO document, and its index, under `root`."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS_FILE, corpus / CORPUS_FILE.name)
    index = root / "index"
    build_index(corpus, index, model=embedder)
    return corpus, index


@pytest.fixture(scope="session")
def client(server) -> Client:
    return Client(server, verbose=False)


@pytest.fixture
def service(tmp_path, embedder) -> web.Service:
    corpus, index = make_library(tmp_path, embedder)
    return web.Service(corpus, index, embedder)


def _figures(text: str) -> list[str]:
    """Numbers in `text`, citation markers left out."""
    return re.findall(r"\d[\d,.]*\d|\d", re.sub(r"\[\d+\]", "", text))


# --- API endpoints ---------------------------------------------------------------------------------------------------


def test_ask_endpoint_answers_with_citations_and_corpus_figures(client):
    text = client.predict("How much does a CSO earn?", api_name="/ask")
    assert "[1]" in text
    assert "cso-role.md § Salary" in text
    corpus = CORPUS_FILE.read_text(encoding="utf-8")
    figures = _figures(text)
    assert figures, text
    assert all(f in corpus for f in figures), figures


def test_search_endpoint_returns_k_hits_as_dicts(client):
    hits = client.predict("What skills does a CSO need?", 3, api_name="/search")
    assert len(hits) == 3
    for hit in hits:
        assert hit["source"] == "cso-role.md"
        assert isinstance(hit["section"], str)
        assert isinstance(hit["score"], float)
        assert hit["text"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert hits[0]["section"] == "Skills"


def test_only_ask_and_search_are_public(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert set(endpoints) == {"/ask", "/search"}


def test_empty_question_is_an_error(client):
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")


# --- Admin gate and file names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("notes.md", "notes.md"),
        ("Notes.TXT", "Notes.txt"),
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\Users\\me\\report.txt", "report.txt"),
        ("my notes (1).md", "my_notes_1.md"),
        ("<script>x</script>.md", "script.md"),
        ("  spaced.md  ", "spaced.md"),
    ],
)
def test_safe_filename_keeps_a_plain_base_name(name, expected):
    assert web.safe_filename(name) == expected


@pytest.mark.parametrize(
    "name",
    ["", ".hidden.md", "../.env.md", "dir/.bashrc.txt", "evil.sh", "data.md.exe", "x.py", "..", "/", "a/", "_.md"],
)
def test_safe_filename_refuses_hidden_empty_and_other_types(name):
    with pytest.raises(CsobotError):
        web.safe_filename(name)


def test_safe_filename_adds_the_default_suffix_only_when_there_is_none():
    assert web.safe_filename("zephyr protocol", default_suffix=".md") == "zephyr_protocol.md"
    assert web.safe_filename("zephyr.txt", default_suffix=".md") == "zephyr.txt"
    with pytest.raises(CsobotError):
        web.safe_filename("zephyr")
    with pytest.raises(CsobotError):
        web.safe_filename("zephyr.html", default_suffix=".md")


def test_admin_is_disabled_without_the_environment_variable(monkeypatch):
    monkeypatch.delenv(web.ADMIN_ENV, raising=False)
    assert not web.admin_enabled()
    for password in ("", "anything", None):
        with pytest.raises(CsobotError, match="disabled"):
            web.check_admin(password)


def test_admin_requires_the_matching_password(monkeypatch):
    monkeypatch.setenv(web.ADMIN_ENV, "s3cret-é")
    assert web.admin_enabled()
    web.check_admin("s3cret-é")
    for password in ("", None, "s3cret", "s3cret-é ", "S3CRET-É"):
        with pytest.raises(CsobotError, match="wrong"):
            web.check_admin(password)


def test_server_address_prefers_arguments_then_environment(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    assert web.server_address() == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8000")
    assert web.server_address() == ("0.0.0.0", 8000)
    assert web.server_address("localhost", 9000) == ("localhost", 9000)
    monkeypatch.setenv("GRADIO_SERVER_PORT", "http")
    with pytest.raises(CsobotError):
        web.server_address()


# --- Formatting ------------------------------------------------------------------------------------------------------


def test_passages_and_sources_are_escaped_in_the_chat_message():
    hit = Hit("<img src=x onerror=alert(1)> text", 0.5, "a<b>.md", "<script>s</script>", 0, 10, 0, 0.5, 0.5)
    message = web.format_answer(Answer("Quoted. [1]", [hit], False, "q"))
    assert "<img" not in message
    assert "<script>" not in message
    assert "<b>" not in message
    assert "&lt;img src=x onerror=alert(1)&gt;" in message
    assert "<details>" in message
    assert "score 0.500" in message


def test_declined_questions_show_the_decline_text():
    declined = Answer("The documents don't cover that.", [], True, "q")
    assert web.format_answer(declined) == declined.text
    assert web.answer_markdown(declined) == declined.text


def test_gradio_history_becomes_plain_messages():
    history = [
        {"role": "user", "content": [{"type": "text", "text": "R&amp;D &lt;budget&gt;?"}], "metadata": None},
        {"role": "assistant", "content": [{"type": "text", "text": "It is $5. [1]"}]},
    ]
    assert web.plain_history(history) == [
        {"role": "user", "content": "R&D <budget>?"},
        {"role": "assistant", "content": "It is $5. [1]"},
    ]
    assert web.plain_history(history, as_typed=False)[0]["content"] == "R&amp;D &lt;budget&gt;?"


def test_what_else_in_the_chat_goes_on_from_the_answer_not_the_passages_shown(service):
    question = "What are the duties of a CSO?"
    shown = web.format_answer(service.ask(question))
    assert "<details>" in shown
    history = [{"role": "user", "content": question}, {"role": "assistant", "content": shown}]
    assert web.plain_history(history)[1]["content"] == service.ask(question).text
    more = service.ask("What else?", web.plain_history(history))
    assert not more.abstained and "Key Responsibilities" in more.sources[0].where


# --- Service: follow-ups, documents, admin rebuilds ------------------------------------------------------------------


def test_follow_ups_read_the_chat_history(service):
    first = "How much does a CSO earn?"
    history = [
        {"role": "user", "content": [{"type": "text", "text": first}]},
        {"role": "assistant", "content": [{"type": "text", "text": "…"}]},
    ]
    answer = service.ask("and at most?", web.plain_history(history))
    assert "earn" in answer.query  # the previous question was read


def test_documents_table_lists_the_index(service):
    [row] = service.documents()
    name, chunks, size, built_at = row
    assert name == "cso-role.md"
    assert chunks == sum(c.source == name for c in service.bot.retriever.stored.chunks) > 0
    assert size == CORPUS_FILE.stat().st_size
    assert built_at == service.bot.retriever.stored.manifest["built_at"]


def test_pasted_document_is_answerable_right_away_and_can_be_removed(service):
    status = service.add_text("zephyr protocol", ZEPHYR)
    assert status.startswith("Done: "), status
    assert (service.corpus / "zephyr_protocol.md").read_text(encoding="utf-8") == ZEPHYR
    assert "zephyr_protocol.md" in service.document_names()
    answer = service.ask("How often does the Zephyr protocol rotate badge keys?")
    assert not answer.abstained
    assert answer.sources[0].source == "zephyr_protocol.md"
    assert "45 days" in answer.text

    status = service.remove("zephyr_protocol.md")
    assert status.startswith("Done: "), status
    assert not (service.corpus / "zephyr_protocol.md").exists()
    assert service.document_names() == ["cso-role.md"]


def test_uploaded_files_are_checked_before_anything_is_written(service, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "good.md").write_text(ZEPHYR, encoding="utf-8")
    (uploads / "big.txt").write_bytes(b"a" * (web.MAX_UPLOAD_BYTES + 1))
    (uploads / "binary.md").write_bytes(b"\x00\x01")
    for bad in ("big.txt", "binary.md"):
        with pytest.raises(CsobotError):
            service.add_files([uploads / "good.md", uploads / bad])
    assert service.document_names() == ["cso-role.md"]
    assert not (service.corpus / "good.md").exists()
    with pytest.raises(CsobotError, match="indexed document"):
        service.remove("../index/manifest.json")


def test_failed_rebuild_keeps_the_old_index_serving(service, monkeypatch):
    bot = service.bot
    before = service.ask("How much does a CSO earn?")

    def broken_build(*args, **kwargs):
        raise CsobotError("disk full")

    monkeypatch.setattr(web, "build_index", broken_build)
    with pytest.raises(CsobotError, match="still serving the previous index: disk full"):
        service.add_text("zephyr.md", ZEPHYR)
    assert service.bot is bot
    assert not (service.corpus / "zephyr.md").exists()  # the corpus is put back as it was
    with pytest.raises(CsobotError, match="still serving"):
        service.remove("cso-role.md")
    assert (service.corpus / "cso-role.md").read_bytes() == CORPUS_FILE.read_bytes()
    after = service.ask("How much does a CSO earn?")
    assert after == before
