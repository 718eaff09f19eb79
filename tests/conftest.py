"""Shared fixtures: the real model, loaded once, and real indexes built in temporary folders."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from csobot.embedding import Embedder
from csobot.index import build_index

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
RAW_ARTICLE = ROOT.parent / "shared" / "seed" / "cso-role.txt"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embedder) -> Path:
    """An index of the shipped corpus, built from a copy so tests never touch index/."""
    folder = tmp_path_factory.mktemp("shipped")
    shutil.copytree(CORPUS, folder / "corpus")
    build_index(folder / "corpus", folder / "index", model=embedder)
    return folder / "index"


@pytest.fixture(scope="session")
def raw_index(tmp_path_factory, embedder) -> Path:
    """An index of the unedited article, as someone indexing their own file would have it."""
    if not RAW_ARTICLE.is_file():
        pytest.skip(f"{RAW_ARTICLE} is not beside the project")
    folder = tmp_path_factory.mktemp("raw")
    (folder / "corpus").mkdir()
    shutil.copy(RAW_ARTICLE, folder / "corpus")
    build_index(folder / "corpus", folder / "index", model=embedder)
    return folder / "index"


@pytest.fixture(scope="session")
def headed_index(tmp_path_factory, embedder) -> Path:
    """An index of a small document whose headings say what its sentences never write ("winter", "care")."""
    folder = tmp_path_factory.mktemp("headed")
    (folder / "corpus").mkdir()
    (folder / "corpus" / "bees.md").write_text(
        "# Keeping Bees\n\nBeekeepers tend colonies of honey bees in wooden hives.\n\n"
        "## Winter Care\n\nColonies cluster tightly to keep warm. "
        "Feed them sugar fondant when their stores run low.\n\n"
        "## Harvest\n\nHoney is taken from the supers in late summer, leaving enough for the colony.\n",
        encoding="utf-8",
    )
    build_index(folder / "corpus", folder / "index", model=embedder)
    return folder / "index"


@pytest.fixture(scope="session")
def server(tmp_path_factory, embedder) -> str:
    """URL of the real app over a copy of the shipped corpus, served on a free port for the session."""
    from csobot import web

    root = tmp_path_factory.mktemp("served")
    shutil.copytree(CORPUS, root / "corpus")
    build_index(root / "corpus", root / "index", model=embedder)
    demo = web.create_app(root / "corpus", root / "index", embedder)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield demo.local_url
    demo.close()
