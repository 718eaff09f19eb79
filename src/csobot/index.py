"""Index stage: chunk, embed and store a corpus in a folder, atomically and incrementally.

The folder holds (format 7):
- `manifest.json`: format version, model id, weights hash and dimension, chunker settings,
  FAISS factory string, per-file content hashes, counts and build time;
- `chunks.jsonl` and `sentences.jsonl`: one JSON object per chunk / sentence, in vector order;
- `chunk_vectors.npy` and `sentence_vectors.npy`: float32 unit vectors, row i for line i;
- `sentence_topicless_vectors.npy`: float32 unit vectors of the sentences read as questions are
  (`read_as_questions_are`), row i for line i: what ranking compares a question with;
- `sentence_pieces.npz`: every sentence's word pieces as the model read them (`embedding.Pieces`):
  `ids` (int32), `vectors` (float16 unit vectors) and `offsets` (int64; sentence i owns rows
  offsets[i]:offsets[i+1]);
- `clauses.jsonl` and `clause_vectors.npy`: the clauses of long sentences (`chunking.clauses_of`), one JSON
  object each ({"sentence": its sentence's line, "text": ...}), and float32 unit vectors of them, row i for line i;
- `titles.json`, `title_vectors.npy` and `title_pieces.npz`: the corpus's section titles, each once,
  float32 unit vectors of them read as questions are (`read_as_questions_are`), row i for title i, and
  their word pieces read so, as in `sentence_pieces.npz`;
- `chunks.faiss`: the FAISS index over the chunk vectors, centred on their mean (inner product = cosine);
- `bm25/`: the bm25s index over the same chunks (long forms of acronyms replaced by the acronym);
- `acronyms.json`: the acronyms the corpus defines, {acronym: long form}.
Nothing is pickled: JSON, NumPy arrays (loaded with allow_pickle=False) and FAISS's own format.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, overload

import faiss
import numpy as np

from .acronyms import abbreviated, find_acronyms
from .chunking import VERSION as CHUNKER_VERSION
from .chunking import Chunk, ChunkerConfig, Clause, Sentence, chunk_corpus, clauses_of, content_hash
from .corpus import Skipped, load_corpus
from .embedding import Embedder, Pieces, center, corpus_centroid
from .errors import CsobotError
from .lexical import LexicalIndex, terms

FORMAT_VERSION = 7
DEFAULT_FACTORY = "Flat"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BuildStats:
    files: int
    chunks: int
    sentences: int
    embedded: int  # chunk and sentence vectors computed by this build
    reused: int  # vectors taken over from the previous index
    seconds: float
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"indexed {self.files} files into {self.chunks} chunks and {self.sentences} sentences "
            f"({self.embedded} embedded, {self.reused} reused) in {self.seconds:.1f} s"
        )


@dataclass
class StoredIndex:
    """An index folder loaded into memory."""

    manifest: dict
    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_topicless_vectors: np.ndarray
    sentence_pieces: Pieces
    clauses: list[Clause]
    clause_vectors: np.ndarray
    titles: list[str]
    title_vectors: np.ndarray
    title_pieces: Pieces
    dense: faiss.Index
    lexical: LexicalIndex
    acronyms: dict[str, str]

    @classmethod
    def load(cls, folder: str | Path) -> StoredIndex:
        folder = Path(folder)
        manifest = read_manifest(folder)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise CsobotError(
                f"{folder} holds index format {manifest.get('format_version')}, this csobot reads "
                f"format {FORMAT_VERSION}: rebuild it with `csobot index build --index {folder}`"
            )
        try:
            chunks = [_chunk_from_json(line) for line in _read_lines(folder / "chunks.jsonl")]
            sentences = [Sentence(**json.loads(line)) for line in _read_lines(folder / "sentences.jsonl")]
            clauses = [Clause(**json.loads(line)) for line in _read_lines(folder / "clauses.jsonl")]
            return cls(
                manifest,
                chunks,
                sentences,
                np.load(folder / "chunk_vectors.npy", allow_pickle=False),
                np.load(folder / "sentence_vectors.npy", allow_pickle=False),
                np.load(folder / "sentence_topicless_vectors.npy", allow_pickle=False),
                _load_pieces(folder / "sentence_pieces.npz"),
                clauses,
                np.load(folder / "clause_vectors.npy", allow_pickle=False),
                json.loads((folder / "titles.json").read_text(encoding="utf-8")),
                np.load(folder / "title_vectors.npy", allow_pickle=False),
                _load_pieces(folder / "title_pieces.npz"),
                faiss.read_index(str(folder / "chunks.faiss")),
                LexicalIndex.load(folder / "bm25"),
                json.loads((folder / "acronyms.json").read_text(encoding="utf-8")),
            )
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise CsobotError(f"{folder} is damaged ({exc}): rebuild it with `csobot index build`") from exc

    def save(self, folder: Path) -> None:
        _write_lines(folder / "chunks.jsonl", (asdict(c) for c in self.chunks))
        _write_lines(folder / "sentences.jsonl", (asdict(s) for s in self.sentences))
        np.save(folder / "chunk_vectors.npy", self.chunk_vectors, allow_pickle=False)
        np.save(folder / "sentence_vectors.npy", self.sentence_vectors, allow_pickle=False)
        np.save(folder / "sentence_topicless_vectors.npy", self.sentence_topicless_vectors, allow_pickle=False)
        _save_pieces(folder / "sentence_pieces.npz", self.sentence_pieces)
        _write_lines(folder / "clauses.jsonl", (asdict(c) for c in self.clauses))
        np.save(folder / "clause_vectors.npy", self.clause_vectors, allow_pickle=False)
        (folder / "titles.json").write_text(json.dumps(self.titles, ensure_ascii=False) + "\n", encoding="utf-8")
        np.save(folder / "title_vectors.npy", self.title_vectors, allow_pickle=False)
        _save_pieces(folder / "title_pieces.npz", self.title_pieces)
        faiss.write_index(self.dense, str(folder / "chunks.faiss"))
        self.lexical.save(folder / "bm25")
        (folder / "acronyms.json").write_text(json.dumps(self.acronyms, indent=2) + "\n", encoding="utf-8")
        # Written last: a folder with a manifest is a complete index.
        (folder / MANIFEST).write_text(json.dumps(self.manifest, indent=2) + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise CsobotError(f"no index at {folder}: build one with `csobot index build --index {folder}`")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CsobotError(f"{path} is unreadable ({exc}): rebuild with `csobot index build`") from exc


def check_model(manifest: dict, embedder: Embedder, folder: Path) -> None:
    """Refuse an index whose vectors another model made: they would be compared with nonsense."""
    built = manifest.get("model", {})
    source = embedder.source
    same = built.get("id") == source.model_id and (
        built.get("sha256") is None or source.sha256 is None or built.get("sha256") == source.sha256
    )
    if not same:
        raise CsobotError(
            f"{folder} was built with model {built.get('id')!r}, not {source.model_id!r}: "
            f"rebuild it with `csobot index build --index {folder} --model {source.location}`"
        )


def _read_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_lines(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def _save_pieces(path: Path, pieces: Pieces) -> None:
    np.savez(path, ids=pieces.ids, vectors=pieces.vectors, offsets=pieces.offsets)


def _load_pieces(path: Path) -> Pieces:
    with np.load(path, allow_pickle=False) as arrays:
        return Pieces(arrays["ids"], arrays["vectors"], arrays["offsets"])


def _chunk_from_json(line: str) -> Chunk:
    data = json.loads(line)
    data["sentences"] = tuple(data["sentences"])
    return Chunk(**data)


def _manifest(embedder: Embedder, config: ChunkerConfig, factory: str, files: dict[str, str], counts: dict) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "model": {
            "id": embedder.source.model_id,
            "sha256": embedder.source.sha256,
            "dimension": embedder.dimension,
            "window": embedder.window,
        },
        "chunker": _chunker_settings(config),
        "faiss_factory": factory,
        "files": files,
        "counts": counts,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _chunker_settings(config: ChunkerConfig) -> dict:
    """What decides the chunks besides the text: the settings, and the chunker's version."""
    return {**asdict(config), "version": CHUNKER_VERSION}


def default_config(embedder: Embedder) -> ChunkerConfig:
    return ChunkerConfig(max_tokens=embedder.window - 2)


def stale_reason(
    corpus: str | Path, index: str | Path, embedder: Embedder, factory: str = DEFAULT_FACTORY
) -> str | None:
    """Why the index no longer matches the corpus and settings, or None when it does."""
    folder = Path(index)
    if not (folder / MANIFEST).is_file():
        return "no index yet"
    manifest = read_manifest(folder)
    if manifest.get("format_version") != FORMAT_VERSION:
        return "index format changed"
    try:
        check_model(manifest, embedder, folder)
    except CsobotError:
        return "built with another model"
    if (
        manifest.get("chunker") != _chunker_settings(default_config(embedder))
        or manifest.get("faiss_factory") != factory
    ):
        return "settings changed"
    documents, _ = load_corpus(corpus)
    if manifest.get("files") != {d.path: d.sha256 for d in documents}:
        return "corpus changed"
    return None


@dataclass(frozen=True)
class _Reusable:
    """What the index being replaced computed, by content hash, when the same model made it."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    pieces: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def _reusable(folder: Path, embedder: Embedder) -> _Reusable:
    try:
        old = StoredIndex.load(folder)
        check_model(old.manifest, embedder, folder)
    except CsobotError:
        return _Reusable()
    vectors = {c.hash: v for c, v in zip(old.chunks, old.chunk_vectors, strict=True)}
    vectors.update({s.hash: v for s, v in zip(old.sentences, old.sentence_vectors, strict=True)})
    vectors.update({content_hash(c.text): v for c, v in zip(old.clauses, old.clause_vectors, strict=True)})
    titles = _read_as_questions_are(old.titles, old.lexical, old.acronyms)
    topicless = _read_as_questions_are([s.text for s in old.sentences], old.lexical, old.acronyms)
    for items, read in ((titles, old.title_vectors), (topicless, old.sentence_topicless_vectors)):
        vectors.update({h: v for (h, _), v in zip(items, read, strict=True)})
    pieces = {s.hash: old.sentence_pieces.of(i) for i, s in enumerate(old.sentences)}
    pieces.update({h: old.title_pieces.of(i) for i, (h, _) in enumerate(titles)})
    return _Reusable(vectors, pieces)


@overload
def _embed(
    items: list[tuple[str, str]],
    reuse: _Reusable,
    embedder: Embedder,
    progress: bool,
    with_pieces: Literal[False] = ...,
) -> tuple[np.ndarray, None, int]: ...
@overload
def _embed(
    items: list[tuple[str, str]], reuse: _Reusable, embedder: Embedder, progress: bool, with_pieces: Literal[True]
) -> tuple[np.ndarray, Pieces, int]: ...
def _embed(
    items: list[tuple[str, str]], reuse: _Reusable, embedder: Embedder, progress: bool, with_pieces: bool = False
) -> tuple[np.ndarray, Pieces | None, int]:
    """Vectors of `items` ((hash, text) pairs), and their word pieces when asked, computing only those
    the old index lacks; with how many were computed."""

    def reused(h: str) -> bool:
        return h in reuse.vectors and (not with_pieces or h in reuse.pieces)

    vectors = np.zeros((len(items), embedder.dimension), dtype=np.float32)
    parts: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0), np.zeros((0, embedder.dimension)))] * len(items)
    missing = []
    for i, (h, _) in enumerate(items):
        if not reused(h):
            missing.append(i)
            continue
        vectors[i] = reuse.vectors[h]
        if with_pieces:
            parts[i] = reuse.pieces[h]
    if missing:
        texts = [items[i][1] for i in missing]
        if with_pieces:
            vectors[missing], pieces = embedder.encode_with_pieces(texts, progress=progress)
            for n, i in enumerate(missing):
                parts[i] = pieces.of(n)
        else:
            vectors[missing] = embedder.encode(texts, progress=progress)
    return vectors, Pieces.join(parts, embedder.dimension) if with_pieces else None, len(missing)


def read_as_questions_are(text: str, lexical: LexicalIndex, acronyms: dict[str, str]) -> str:
    """A title or sentence read as a question is (`Retriever.rewrite`): without the words naming the
    corpus's topic, which every passage shares ("Becoming a Chief Security Officer" → "Becoming a");
    whole when nothing else is left ("What is a Chief Security Officer?" says what the topic is)."""
    kept, _ = lexical.split_topic(abbreviated(text, acronyms))
    return " ".join(kept) if terms(" ".join(kept)) else text


def _read_as_questions_are(texts: list[str], lexical: LexicalIndex, acronyms: dict[str, str]) -> list[tuple[str, str]]:
    """`texts` read as questions are, each with its content hash: what `_embed` takes."""
    read = [read_as_questions_are(t, lexical, acronyms) for t in texts]
    return [(content_hash(t), t) for t in read]


def _dense_index(vectors: np.ndarray, factory: str) -> faiss.Index:
    try:
        dense = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
    except RuntimeError as exc:
        raise CsobotError(f"invalid FAISS factory string {factory!r}") from exc
    if not dense.is_trained:
        dense.train(vectors)
    dense.add(vectors)
    return dense


def build_index(
    corpus: str | Path = "corpus",
    index: str | Path = "index",
    model: str | Embedder | None = None,
    progress: bool = False,
    factory: str = DEFAULT_FACTORY,
) -> BuildStats:
    """Build `index` from the .txt/.md files under `corpus`, reusing unchanged vectors.

    The new index is written beside the target and renamed into place, so a failed or
    interrupted build leaves the previous index as it was.
    """
    started = time.perf_counter()
    embedder = model if isinstance(model, Embedder) else Embedder.load(model)
    documents, skipped = load_corpus(corpus)
    config = default_config(embedder)
    sentences, chunks = chunk_corpus(documents, config, embedder.count_tokens)
    acronyms = find_acronyms(d.text for d in documents)
    target = Path(index)
    reuse = _reusable(target, embedder)
    chunk_vectors, _, embedded_chunks = _embed([(c.hash, c.embedding_input) for c in chunks], reuse, embedder, progress)
    lexical = LexicalIndex.build([abbreviated(c.embedding_input, acronyms) for c in chunks])
    titles = list(dict.fromkeys(c.section for c in chunks if c.section))
    title_vectors, title_pieces, _ = _embed(
        _read_as_questions_are(titles, lexical, acronyms), reuse, embedder, progress, with_pieces=True
    )
    sentence_vectors, sentence_pieces, embedded_sentences = _embed(
        [(s.hash, s.embedding_input) for s in sentences], reuse, embedder, progress, with_pieces=True
    )
    # A sentence naming no topic word reads as it is written: its vector is at hand.
    written = _Reusable({**reuse.vectors, **{s.hash: v for s, v in zip(sentences, sentence_vectors, strict=True)}})
    topicless_items = _read_as_questions_are([s.text for s in sentences], lexical, acronyms)
    topicless_vectors, _, _ = _embed(topicless_items, written, embedder, progress)
    clauses = clauses_of(sentences)
    clause_vectors, _, _ = _embed([(content_hash(c.text), c.text) for c in clauses], reuse, embedder, progress)
    stored = StoredIndex(
        _manifest(
            embedder,
            config,
            factory,
            {d.path: d.sha256 for d in documents},
            {"files": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
        ),
        chunks,
        sentences,
        chunk_vectors,
        sentence_vectors,
        topicless_vectors,
        sentence_pieces,
        clauses,
        clause_vectors,
        titles,
        title_vectors,
        title_pieces,
        _dense_index(center(chunk_vectors, corpus_centroid(chunk_vectors)), factory),
        lexical,
        acronyms,
    )
    _save_atomically(stored, target)
    embedded = embedded_chunks + embedded_sentences
    return BuildStats(
        files=len(documents),
        chunks=len(chunks),
        sentences=len(sentences),
        embedded=embedded,
        reused=len(chunks) + len(sentences) - embedded,
        seconds=time.perf_counter() - started,
        skipped=skipped,
    )


def _save_atomically(stored: StoredIndex, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        stored.save(staging)
        os.chmod(staging, 0o755)
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.replace(target, retired / target.name)
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
