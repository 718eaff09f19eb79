"""The `csobot` command: a thin layer over the library. Every user error is one line and exit 2."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import asdict

import click

from .errors import CsobotError

INDEX_OPTION = click.option("--index", "index", default="index", show_default=True, help="Index folder.")
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
    click.echo(
        f"indexed {stats.files} files into {stats.chunks} chunks and {stats.sentences} sentences "
        f"({stats.embedded} embedded, {stats.reused} reused) in {stats.seconds:.1f} s -> {index}"
    )


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
        where = f"{hit.source} § {hit.section}" if hit.section else hit.source
        click.echo(f"{rank:>2}. score {hit.score:.3f}  {where}")
        click.echo(textwrap.indent(textwrap.fill(" ".join(hit.text.split()), 96), "    ") + "\n")


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
