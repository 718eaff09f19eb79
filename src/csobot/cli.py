"""The `csobot` command: a thin layer over the library. Every user error is one line and exit 2."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import click

from .answer import MAX_WORDS
from .errors import CsobotError

INDEX_OPTION = click.option("--index", "index", default="index", show_default=True, help="Index folder.")
MAX_WORDS_OPTION = click.option(
    "--max-words",
    type=click.IntRange(min=1),
    help=f"Longest answer, in words [default: {MAX_WORDS}]: sentences that do not fit are left out or quoted in part.",
)
MODEL_OPTION = click.option(
    "--model",
    default=None,
    help="Embedding model: a local sentence-transformers folder or a hub id "
    "[default: $CSOBOT_MODEL, else the packaged all-MiniLM-L6-v2].",
)


def _question(question: str) -> str:
    if not question.strip():
        raise click.UsageError("the question is empty")
    return question


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="csobot")
def cli() -> None:
    """Cited, extractive answers from a small corpus (by default: the Chief Security Officer role).

    \b
    Start with:
      csobot index build              # corpus/ -> index/
      csobot search "How much does a CSO earn?"
    """


@cli.group()
def index() -> None:
    """Build the search index from a folder of .txt and .md files."""


@index.command("build")
@click.option("--corpus", default="corpus", show_default=True, help="Folder of .txt/.md files, read recursively.")
@INDEX_OPTION
@MODEL_OPTION
@click.option("--factory", default="Flat", show_default=True, help="FAISS index factory string, e.g. HNSW32.")
def index_build(corpus: str, index: str, model: str | None, factory: str) -> None:
    """Chunk, embed and index CORPUS into INDEX, reusing vectors of unchanged chunks.

    The new index replaces the old one only once it is complete.
    """
    from .index import build_index

    stats = build_index(corpus, index, model=model, progress=True, factory=factory)
    for skipped in stats.skipped:
        click.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    click.echo(f"{stats.summary()} -> {index}")


@cli.command()
@click.argument("question")
@click.option("-k", default=5, show_default=True, type=click.IntRange(min=1), help="How many passages.")
@INDEX_OPTION
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the hits as a JSON list.")
def search(question: str, k: int, index: str, model: str | None, as_json: bool) -> None:
    """Show the K passages that best match QUESTION, best first."""
    from .embedding import Embedder
    from .retrieval import Retriever

    question = _question(question)
    hits = Retriever.load(index, Embedder.load(model)).search(question, k=k)
    if as_json:
        click.echo(json.dumps([asdict(h) for h in hits], indent=2, ensure_ascii=False))
        return
    for rank, hit in enumerate(hits, 1):
        click.echo(f"{rank:>2}. score {hit.score:.3f}  {hit.where}")
        click.echo(textwrap.indent(textwrap.fill(" ".join(hit.text.split()), 96), "    ") + "\n")


@cli.command()
@click.argument("question")
@INDEX_OPTION
@MODEL_OPTION
@MAX_WORDS_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the answer and its sources as JSON.")
def ask(question: str, index: str, model: str | None, max_words: int | None, as_json: bool) -> None:
    """Answer QUESTION from the index, citing the passages it quotes."""
    from .answer import Chatbot
    from .embedding import Embedder

    question = _question(question)
    answer = Chatbot.load(index, Embedder.load(model), max_words or MAX_WORDS).ask(question)
    if as_json:
        click.echo(json.dumps(asdict(answer), indent=2, ensure_ascii=False))
        return
    click.echo(answer.text)
    if answer.sources:
        click.echo()
    for n, hit in enumerate(answer.sources, 1):
        click.echo(f"[{n}] {hit.where} (score {hit.score:.3f})")


@cli.command("eval")
@click.option("--qa", "qa_file", type=click.Path(dir_okay=False), help="QA file (JSON Lines, see evaluation.py).")
@click.option("--squad", "squad_file", type=click.Path(dir_okay=False), help="SQuAD JSON; its articles are indexed.")
@click.option(
    "--typos",
    "typo_seed",
    type=int,
    metavar="SEED",
    help="With --qa: misspell two words of every question, at random from this seed.",
)
@click.option("--mid-chat", "in_chat", is_flag=True, help="With --qa: ask each question after another of the file.")
@MAX_WORDS_OPTION
@INDEX_OPTION
@MODEL_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON, failures included.")
def evaluate(
    qa_file: str | None,
    squad_file: str | None,
    typo_seed: int | None,
    in_chat: bool,
    max_words: int | None,
    index: str,
    model: str | None,
    as_json: bool,
) -> None:
    """Measure answer quality and speed on a QA file (against INDEX) or a SQuAD file.

    \b
    --qa:    fact-hit rate, abstention accuracy, answer length, ask latency vs one bare encode;
             with --typos SEED, of the questions misspelt (robustness to typos); with --mid-chat, of
             each question asked after another and its answer (a question standing alone must not
             be read as a follow-up)
    --squad: passage hit@1 and @5 (gold answer in a passage of <= 200 words) and answer hit
             (gold answer in an answer of <= 60 words), ask latency vs one bare encode; the share
             of answerable questions declined, and of impossible ones (SQuAD 2.0's unanswerable)
    """
    from .answer import Chatbot
    from .embedding import Embedder
    from .evaluation import evaluate_qa, evaluate_squad, load_qa, mid_chat, misspelt

    if (qa_file is None) == (squad_file is None):
        raise click.UsageError("give one of --qa FILE or --squad FILE")
    if (typo_seed is not None or in_chat or max_words is not None) and qa_file is None:
        raise click.UsageError("--typos, --mid-chat and --max-words go with --qa")
    for path in (qa_file, squad_file):
        if path is not None and not Path(path).is_file():
            raise click.UsageError(f"no such file: {path}")
    embedder = Embedder.load(model)
    if qa_file:
        bot = Chatbot.load(index, embedder, max_words or MAX_WORDS)
        cases = load_qa(qa_file)
        if typo_seed is not None:
            cases = misspelt(cases, typo_seed)
        report = evaluate_qa(bot, mid_chat(bot, cases) if in_chat else cases)
    else:
        report = evaluate_squad(squad_file, embedder)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    for key, value in report.items():
        if key == "failures":
            for failure in value:
                click.echo(f"  miss [{failure['kind']}] {failure['question']!r}: {failure['answer'][:100]!r}")
        else:
            click.echo(f"{key:>20}: {value:.3f}" if isinstance(value, float) else f"{key:>20}: {value}")


@cli.command()
@click.option("--host", default=None, help="Interface to listen on [default: $GRADIO_SERVER_NAME, else 127.0.0.1].")
@click.option(
    "--port", default=None, type=click.IntRange(1, 65535), help="Port [default: $GRADIO_SERVER_PORT, else 7860]."
)
@click.option("--corpus", default="corpus", show_default=True, help="Folder of .txt/.md files, read recursively.")
@INDEX_OPTION
@MODEL_OPTION
def serve(host: str | None, port: int | None, corpus: str, index: str, model: str | None) -> None:
    """Serve the browser chat, building INDEX from CORPUS first when it is missing or stale.

    Admin actions (the Documents tab) are enabled only when $CSOBOT_ADMIN_PASSWORD is set.
    """
    from .web import serve as serve_web

    serve_web(corpus=corpus, index=index, host=host, port=port, model=model)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"csobot: {exc.format_message()}", err=True)
        sys.exit(2)
    except CsobotError as exc:
        click.echo(f"csobot: {exc}", err=True)
        sys.exit(2)
