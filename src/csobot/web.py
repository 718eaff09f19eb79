"""The browser chat: a Gradio app over the library (Chat and Documents tabs, /ask and /search endpoints).

`serve()` loads the model once, builds the index when it is missing or stale, and launches. Everything the
corpus or a user wrote reaches the page as escaped text: answers are escaped by `csobot.answer`, passages
and source names here, and the chatbot sanitises HTML on top.
"""

from __future__ import annotations

import hmac
import html
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import gradio as gr

from .answer import Answer, Chatbot
from .corpus import SUFFIXES
from .embedding import Embedder
from .errors import CsobotError
from .index import BuildStats, build_index, stale_reason
from .retrieval import Hit

log = logging.getLogger(__name__)

ADMIN_ENV = "CSOBOT_ADMIN_PASSWORD"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
MAX_UPLOAD_BYTES = 1_000_000  # per document
MAX_UPLOAD_FILES = 20
MAX_NAME_CHARS = 100
MAX_K = 50
UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
EXAMPLES = [
    "What are the key responsibilities of a chief security officer?",
    "Who does a chief security officer report to?",
    "What degree does a CSO need?",
    "Which certifications does a CSO need?",
    "What skills does a CSO need?",
    "What is the work environment of a CSO like?",
    "How much does a CSO earn?",
]
TITLE = "CSO Bot"
INTRO = (
    "# csobot — questions about the Chief Security Officer role\n"
    "Answers are quoted from the documents in the index and cited with [n]; open *Cited passages* under an "
    "answer to read them. When the documents do not cover a question, the bot says so instead of guessing."
)
Progress = Callable[[float, str], None]
# Marks the progress parameter of an event handler; Gradio passes a fresh tracker on every call.
PROGRESS = gr.Progress()


# --- Admin gate and file names -------------------------------------------------------------------------------------


def admin_enabled() -> bool:
    return bool(os.environ.get(ADMIN_ENV))


def check_admin(password: str | None) -> None:
    """Raise unless admin actions are enabled ($CSOBOT_ADMIN_PASSWORD set) and `password` matches it."""
    expected = os.environ.get(ADMIN_ENV)
    if not expected:
        raise CsobotError(f"admin actions are disabled: start the server with {ADMIN_ENV} set")
    if not hmac.compare_digest((password or "").encode("utf-8"), expected.encode("utf-8")):
        raise CsobotError("wrong admin password")


def safe_filename(name: str, default_suffix: str | None = None) -> str:
    """A plain .txt/.md file name for the corpus folder: the base name only, unsafe characters replaced by '_',
    never hidden. Without a suffix, `default_suffix` is added when given; any other suffix is refused."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = UNSAFE_NAME_CHARS.sub("_", base)
    if base.startswith("."):
        raise CsobotError(f"refusing hidden file name {name!r}")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
        if default_suffix is None:
            raise CsobotError(f"{name!r}: only {' and '.join(SUFFIXES)} files can be added")
        suffix = default_suffix.lstrip(".")
    if f".{suffix.lower()}" not in SUFFIXES:
        raise CsobotError(f"{name!r}: only {' and '.join(SUFFIXES)} files can be added")
    stem = stem.strip("._-")
    if not stem:
        raise CsobotError(f"{name!r} is not a usable file name")
    return f"{stem[: MAX_NAME_CHARS - len(suffix) - 1]}.{suffix.lower()}"


def _document_bytes(name: str, data: bytes) -> bytes:
    """`data` when it is a non-empty UTF-8 text document within the size limit."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CsobotError(f"{name} is larger than {MAX_UPLOAD_BYTES:,} bytes")
    if b"\x00" in data:
        raise CsobotError(f"{name} is a binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsobotError(f"{name} is not UTF-8 text") from exc
    if not text.strip():
        raise CsobotError(f"{name} is empty")
    return data


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


# --- The service the UI and the API share --------------------------------------------------------------------------


class Service:
    """The live chatbot plus the admin operations on its corpus. The chatbot is swapped only after a
    successful rebuild, so questions keep being answered from the previous index until then."""

    def __init__(self, corpus: str | Path, index: str | Path, embedder: Embedder):
        self.corpus = Path(corpus)
        self.index = Path(index)
        self.embedder = embedder
        self.bot = Chatbot.load(self.index, embedder)
        self._lock = threading.Lock()

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        if not (question or "").strip():
            raise CsobotError("the question is empty")
        return self.bot.ask(question.strip(), history)

    def search(self, question: str, k: int = 5) -> list[Hit]:
        if not (question or "").strip():
            raise CsobotError("the question is empty")
        return self.bot.retriever.search(question.strip(), k=max(1, min(int(k), MAX_K)))

    def documents(self) -> list[list]:
        """Rows of the documents table: name, chunks, size in bytes, indexed at."""
        stored = self.bot.retriever.stored
        chunks = Counter(c.source for c in stored.chunks)
        built_at = stored.manifest.get("built_at", "")
        rows = []
        for name in sorted(stored.manifest.get("files", {})):
            path = self.corpus / name
            size = path.stat().st_size if path.is_file() else None
            rows.append([name, chunks.get(name, 0), size, built_at])
        return rows

    def document_names(self) -> list[str]:
        return sorted(self.bot.retriever.stored.manifest.get("files", {}))

    def add_files(self, paths: list[str | Path], progress: Progress | None = None) -> str:
        """Copy uploaded .txt/.md files into the corpus (by their sanitised base names) and rebuild."""
        if not paths:
            raise CsobotError("choose one or more .txt or .md files first")
        if len(paths) > MAX_UPLOAD_FILES:
            raise CsobotError(f"at most {MAX_UPLOAD_FILES} files at a time")
        changes: dict[str, bytes | None] = {}
        for path in map(Path, paths):
            name = safe_filename(path.name)
            if path.stat().st_size > MAX_UPLOAD_BYTES:
                raise CsobotError(f"{name} is larger than {MAX_UPLOAD_BYTES:,} bytes")
            changes[name] = _document_bytes(name, path.read_bytes())
        return self._change(changes, progress)

    def add_text(self, name: str, text: str, progress: Progress | None = None) -> str:
        """Save pasted text as `name` (.md added when it has no suffix) in the corpus and rebuild."""
        if not (name or "").strip():
            raise CsobotError("give the pasted text a file name")
        safe = safe_filename(name, default_suffix=".md")
        return self._change({safe: _document_bytes(safe, (text or "").encode("utf-8"))}, progress)

    def remove(self, name: str, progress: Progress | None = None) -> str:
        """Delete an indexed document from the corpus and rebuild."""
        if not name:
            raise CsobotError("choose a document to remove")
        if name not in self.document_names():
            raise CsobotError(f"{name!r} is not an indexed document")
        return self._change({name: None}, progress)

    def _path(self, name: str) -> Path:
        root = self.corpus.resolve()
        path = (root / name).resolve()
        if root not in path.parents:
            raise CsobotError(f"{name!r} is outside the corpus folder")
        return path

    def _change(self, changes: dict[str, bytes | None], progress: Progress | None) -> str:
        """Write (bytes) or delete (None) corpus files, rebuild, and swap the chatbot; on any failure put the
        files back as they were and keep serving the previous index."""
        report = progress or (lambda fraction, desc: None)
        with self._lock:
            paths = {name: self._path(name) for name in changes}
            backup = {name: path.read_bytes() if path.is_file() else None for name, path in paths.items()}
            try:
                report(0.05, "Updating the corpus folder")
                for name, data in changes.items():
                    _write_or_delete(paths[name], data)
                report(0.2, "Rebuilding the index (only new passages are embedded)")
                stats = build_index(self.corpus, self.index, model=self.embedder, progress=False)
                report(0.9, "Loading the new index")
                self.bot = Chatbot.load(self.index, self.embedder)
            except Exception as exc:
                if not isinstance(exc, CsobotError):
                    log.exception("rebuild failed")
                for name, data in backup.items():
                    try:
                        _write_or_delete(paths[name], data)
                    except OSError:
                        log.exception("could not restore %s", paths[name])
                raise CsobotError(f"rebuild failed, still serving the previous index: {_one_line(exc)}") from exc
        report(1.0, "Done")
        return _build_summary(changes, stats)


def _write_or_delete(path: Path, data: bytes | None) -> None:
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.part")
    staging.write_bytes(data)
    os.replace(staging, path)


def _build_summary(changes: dict[str, bytes | None], stats: BuildStats) -> str:
    added = [n for n, d in changes.items() if d is not None]
    removed = [n for n, d in changes.items() if d is None]
    done = "; ".join(
        part
        for part in (f"added {', '.join(added)}" if added else "", f"removed {', '.join(removed)}" if removed else "")
        if part
    )
    skipped = f"; skipped {', '.join(f'{s.path} ({s.reason})' for s in stats.skipped)}" if stats.skipped else ""
    return (
        f"Done: {done}. Rebuilt: {stats.files} files, {stats.chunks} chunks ({stats.embedded} vectors embedded, "
        f"{stats.reused} reused) in {stats.seconds:.1f} s{skipped}."
    )


# --- Formatting ----------------------------------------------------------------------------------------------------


# Where a chat message's answer ends and what format_answer adds to it begins.
SOURCES = "\n\n**Sources:** "


def format_answer(answer: Answer) -> str:
    """Chat message: the answer, its citations, and the cited passages in a collapsed <details> block.
    All corpus text put into HTML here is escaped."""
    if answer.abstained or not answer.sources:
        return answer.text
    citations = " · ".join(f"[{n}] {html.escape(h.where)}" for n, h in enumerate(answer.sources, 1))
    passages = "".join(
        f'<div class="csobot-passage"><p><strong>[{n}] {html.escape(h.source)}</strong>'
        f"{' — ' + html.escape(h.section) if h.section else ''} · score {h.score:.3f}</p>"
        f"<blockquote>{'<br>'.join(html.escape(line.strip()) for line in h.text.splitlines() if line.strip())}"
        "</blockquote></div>"
        for n, h in enumerate(answer.sources, 1)
    )
    return (
        f"{answer.text}{SOURCES}{citations}\n\n"
        f"<details><summary>Cited passages ({len(answer.sources)})</summary>{passages}</details>"
    )


def answer_markdown(answer: Answer) -> str:
    """The /ask result: the answer with its [n] markers and a numbered list of the sources they cite."""
    if answer.abstained or not answer.sources:
        return answer.text
    sources = "\n".join(f"[{n}] {h.where}" for n, h in enumerate(answer.sources, 1))
    return f"{answer.text}\n\nSources:\n{sources}"


def hit_dict(hit: Hit) -> dict:
    return asdict(hit)


def _message_text(content) -> str:
    """Text of a chat message in any of Gradio's shapes: a string, a text part, or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", "")) if content.get("type", "text") == "text" else ""
    if isinstance(content, list | tuple):
        return "\n".join(t for t in (_message_text(part) for part in content) if t)
    return ""


def plain_history(history: list[dict] | None, as_typed: bool = True) -> list[dict]:
    """Chat history as [{"role", "content": str}], the shape `Chatbot.ask` reads. Questions are shown
    escaped and answers with their sources and passages (see create_app); `as_typed` gives them back
    as the user typed them and the bot answered them ("What else?" goes on from what the answer
    quoted, not from the passages shown beside it)."""
    messages = []
    for m in history or []:
        if m.get("role") in ("user", "assistant"):
            text = _message_text(m.get("content", ""))
            if as_typed:
                text = html.unescape(text) if m["role"] == "user" else text.split(SOURCES, 1)[0]
            messages.append({"role": m["role"], "content": text})
    return messages


# --- The app -------------------------------------------------------------------------------------------------------


def create_app(corpus_dir: str | Path, index_dir: str | Path, embedder: Embedder) -> gr.Blocks:
    """The Gradio app over the index at `index_dir` (built from `corpus_dir`). `demo.csobot` is its Service."""
    service = Service(corpus_dir, index_dir, embedder)

    def respond(message: str, history: list[dict] | None):
        message = (message or "").strip()
        if not message:
            return gr.skip(), gr.skip()
        try:
            reply = format_answer(service.ask(message, plain_history(history)))
        except CsobotError as exc:
            reply = f"**Error:** {html.escape(_one_line(exc))}"
        shown = html.escape(message, quote=False)  # the question is shown as typed, never as HTML
        shown_history = plain_history(history, as_typed=False)
        return "", [*shown_history, {"role": "user", "content": shown}, {"role": "assistant", "content": reply}]

    def ask(question: str) -> str:
        """Answer a question about the documents: Markdown quoting them, with [n] citations and a sources list."""
        try:
            return answer_markdown(service.ask(question))
        except CsobotError as exc:
            raise gr.Error(_one_line(exc)) from exc

    def search(question: str, k: int = 5) -> list[dict]:
        """The k passages that best match the question, best first, as dicts (text, score, source, section, …)."""
        try:
            return [hit_dict(h) for h in service.search(question, k)]
        except (CsobotError, ValueError, TypeError) as exc:
            raise gr.Error(_one_line(exc)) from exc

    def refresh():
        return service.documents(), gr.Dropdown(choices=service.document_names(), value=None)

    def admin(password: str, action: Callable[[Progress], str], progress: gr.Progress):
        try:
            check_admin(password)
            status = html.escape(action(lambda fraction, desc: progress(fraction, desc=desc)), quote=False)
        except CsobotError as exc:
            status = f"**Error:** {html.escape(_one_line(exc), quote=False)}"
        table, names = refresh()
        return status, table, names

    def upload(password, files, progress=PROGRESS):
        return (*admin(password, lambda p: service.add_files(list(files or []), p), progress), None)

    def paste(password, name, text, progress=PROGRESS):
        return admin(password, lambda p: service.add_text(name, text, p), progress)

    def remove(password, name, progress=PROGRESS):
        return admin(password, lambda p: service.remove(name, p), progress)

    enabled = admin_enabled()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        with gr.Tab("Chat", id="chat"):
            gr.Markdown(INTRO)
            chatbot = gr.Chatbot(
                label="CSO Bot",
                elem_id="chat",
                height=560,
                latex_delimiters=[],
                sanitize_html=True,
                feedback_options=None,
                buttons=["copy"],
                placeholder="Ask a question, or pick one of the examples below.",
            )
            with gr.Row():
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Ask about the Chief Security Officer role, e.g. What skills does a CSO need?",
                    elem_id="question",
                    scale=8,
                    max_lines=4,
                    autofocus=True,
                )
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            gr.Markdown("**Examples** — click one to ask it:")
            with gr.Row(elem_id="examples"):
                example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
            gr.ClearButton([question, chatbot], value="New conversation", size="sm")
            for trigger in (question.submit, send.click):
                trigger(respond, [question, chatbot], [question, chatbot], api_visibility="private")
            for button in example_buttons:
                button.click(respond, [button, chatbot], [question, chatbot], api_visibility="private")

        with gr.Tab("Documents", id="documents") as documents_tab:
            gr.Markdown(
                "## Indexed documents\n"
                + (
                    "Adding or removing a document rebuilds the index; only new passages are embedded. "
                    "The chat keeps answering from the current index until the rebuild succeeds."
                    if enabled
                    else f"Admin actions are disabled: start the server with `{ADMIN_ENV}` set to enable them."
                )
            )
            table = gr.Dataframe(
                value=service.documents(),
                headers=["document", "chunks", "size (bytes)", "indexed at"],
                datatype=["str", "number", "number", "str"],
                interactive=False,
                elem_id="documents",
            )
            password = gr.Textbox(label="Admin password", type="password", interactive=enabled, elem_id="password")
            status = gr.Markdown(elem_id="admin-status")
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        label=f"Upload .txt/.md files (at most {MAX_UPLOAD_BYTES // 1_000_000} MB each)",
                        file_count="multiple",
                        file_types=list(SUFFIXES),
                        type="filepath",
                        interactive=enabled,
                    )
                    upload_button = gr.Button("Upload and rebuild", interactive=enabled)
                with gr.Column():
                    name = gr.Textbox(label="File name", placeholder="notes.md", interactive=enabled)
                    text = gr.Textbox(label="Text", lines=6, max_lines=20, interactive=enabled)
                    paste_button = gr.Button("Add text and rebuild", interactive=enabled)
            with gr.Row():
                to_remove = gr.Dropdown(
                    label="Document to remove", choices=service.document_names(), value=None, interactive=enabled
                )
                remove_button = gr.Button("Remove and rebuild", variant="stop", interactive=enabled)
            private = {"api_visibility": "private", "concurrency_id": "admin", "concurrency_limit": 1}
            upload_button.click(upload, [password, files], [status, table, to_remove, files], **private)
            paste_button.click(paste, [password, name, text], [status, table, to_remove], **private)
            remove_button.click(remove, [password, to_remove], [status, table, to_remove], **private)
            documents_tab.select(refresh, None, [table, to_remove], api_visibility="private")

        gr.api(ask, api_name="ask")
        gr.api(search, api_name="search")
        demo.load(refresh, None, [table, to_remove], api_visibility="private")
    demo.csobot = service
    return demo


# --- Serving -------------------------------------------------------------------------------------------------------


def server_address(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """--host/--port, else $GRADIO_SERVER_NAME/$GRADIO_SERVER_PORT, else 127.0.0.1:7860."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    raw = port if port is not None else os.environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError as exc:
        raise CsobotError(f"invalid port {raw!r}") from exc
    if not 0 < port < 65536:
        raise CsobotError(f"invalid port {port}")
    return host, port


def ensure_index(corpus: str | Path, index: str | Path, embedder: Embedder) -> None:
    """Build `index` from `corpus` when it is missing or stale, with progress in the terminal."""
    if not Path(corpus).is_dir():
        raise CsobotError(f"corpus folder not found: {corpus}")
    try:
        reason = stale_reason(corpus, index, embedder)
    except CsobotError as exc:  # e.g. an unreadable manifest: a build replaces it
        reason = str(exc)
    if reason is None:
        print(f"index {index} is up to date with {corpus}", flush=True)
        return
    print(f"index {index}: {reason}; building from {corpus} …", flush=True)
    stats = build_index(corpus, index, model=embedder, progress=True)
    for skipped in stats.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", flush=True)
    print(stats.summary(), flush=True)


def launch(demo: gr.Blocks, host: str, port: int, **kwargs):
    """Start the app on host:port (uploads capped at MAX_UPLOAD_BYTES)."""
    return demo.launch(
        server_name=host, server_port=port, max_file_size=MAX_UPLOAD_BYTES, footer_links=["api"], **kwargs
    )


def serve(
    corpus: str | Path = "corpus",
    index: str | Path = "index",
    host: str | None = None,
    port: int | None = None,
    model: str | None = None,
) -> None:
    """Load the model, make sure the index matches the corpus, and serve the chat until interrupted."""
    host, port = server_address(host, port)
    print(f"loading embedding model {model or os.environ.get('CSOBOT_MODEL') or '(packaged)'} …", flush=True)
    embedder = Embedder.load(model)
    ensure_index(corpus, index, embedder)
    demo = create_app(corpus, index, embedder)
    if not admin_enabled():
        print(f"admin actions are disabled (set {ADMIN_ENV} to enable the Documents tab)", flush=True)
    launch(demo, host, port)
