"""Corpus stage: read the documents of a folder, skipping what is not readable text."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import CsobotError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Document:
    path: str  # relative to the corpus folder, with forward slashes
    text: str
    sha256: str


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_document(path: Path, name: str) -> Document | Skipped:
    """Decode one file, or say why it cannot be indexed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(name, f"unreadable ({exc.strerror or exc})")
    # A NUL byte never occurs in text files; checking it first gives binaries a clearer reason.
    if b"\x00" in data[:8192]:
        return Skipped(name, "binary file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Skipped(name, "not UTF-8")
    if not text.strip():
        return Skipped(name, "empty")
    return Document(name, text, sha256_bytes(data))


def load_corpus(folder: str | Path) -> tuple[list[Document], list[Skipped]]:
    """Read every .txt and .md file below `folder`, in a stable order.

    Files that are empty, binary or not UTF-8 are skipped with a warning naming them.
    """
    root = Path(folder)
    if not root.is_dir():
        raise CsobotError(f"corpus folder not found: {root}")
    documents: list[Document] = []
    skipped: list[Skipped] = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        result = read_document(path, path.relative_to(root).as_posix())
        if isinstance(result, Skipped):
            log.warning("skipped %s: %s", result.path, result.reason)
            skipped.append(result)
        else:
            documents.append(result)
    if not documents:
        raise CsobotError(f"no readable .txt or .md files in {root}")
    return documents, skipped
