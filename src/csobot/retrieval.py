"""Retrieval stage: hybrid search over an index folder (FAISS cosine + normalised BM25)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .acronyms import abbreviated
from .embedding import Embedder
from .errors import CsobotError
from .index import StoredIndex, check_model
from .lexical import terms

WORD = re.compile(r"\S+")

# The fused score is DENSE_WEIGHT·cosine + (1-DENSE_WEIGHT)·BM25, plus SENTENCE_WEIGHT·the cosine of
# the chunk's best-matching sentence (a chunk that holds one sentence squarely on the question beats one
# that is vaguely on topic throughout), over 1+SENTENCE_WEIGHT to stay in [-1, 1]. Both weights were
# chosen on ../shared/bench (README, "Retrieval").
DENSE_WEIGHT = 0.3
SENTENCE_WEIGHT = 0.3
# A word found in at least this share of chunks is the corpus's topic, not a clue to the answer.
TOPIC_SHARE = 0.7
# FAISS candidates per query before fusion; BM25 scores every chunk, cheaply, from its sparse matrix.
DENSE_CANDIDATES = 100


def center(vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    shifted = vectors - centroid
    return shifted / np.maximum(np.linalg.norm(shifted, axis=-1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk. `score` fuses dense, lexical and best-sentence similarity (see above);
    it does not depend on the other chunks, so it compares across queries."""

    text: str
    score: float
    source: str
    section: str
    start: int
    end: int
    chunk: int  # position in the index
    dense: float  # cosine similarity of question and chunk
    lexical: float  # BM25 over its ceiling for this question, in [0, 1)


class Retriever:
    def __init__(self, stored: StoredIndex, embedder: Embedder, folder: Path):
        check_model(stored.manifest, embedder, folder)
        self.stored = stored
        self.embedder = embedder
        self.folder = folder
        self.centroid = stored.chunk_vectors.mean(axis=0)
        self.chunk_vectors = center(stored.chunk_vectors, self.centroid)
        self.sentence_vectors = center(stored.sentence_vectors, self.centroid)
        # Each chunk's sentences laid end to end, so one reduceat finds every chunk's best sentence.
        ranges = [range(*c.sentences) for c in stored.chunks]
        self._members = np.fromiter((i for r in ranges for i in r), dtype=np.int64)
        self._member_starts = np.cumsum([0] + [len(r) for r in ranges[:-1]], dtype=np.int64)

    @classmethod
    def load(cls, index: str | Path = "index", embedder: Embedder | None = None) -> Retriever:
        """Open an index folder; the embedder (default model when None) must be the one that built it."""
        folder = Path(index)
        stored = StoredIndex.load(folder)
        return cls(stored, embedder or Embedder.load(), folder)

    def __len__(self) -> int:
        return len(self.stored.chunks)

    def sentence_scores(self, question_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of the question with every sentence of the index."""
        return self.sentence_vectors @ question_vector

    def scores(self, question_vector: np.ndarray, question_terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Dense and lexical scores of every chunk; dense is exact for the FAISS candidates, which
        are the only chunks whose dense score can matter for a large index."""
        stored = self.stored
        n = len(stored.chunks)
        lexical = stored.lexical.scores(question_terms)
        if n <= DENSE_CANDIDATES:
            dense = self.chunk_vectors @ question_vector
        else:
            found_scores, found = stored.dense.search(question_vector[None, :], DENSE_CANDIDATES)
            dense = np.full(n, -1.0, dtype=np.float32)
            # Chunks BM25 favours get their exact cosine too, so fusion sees both candidate lists.
            lexical_top = np.argpartition(-lexical, DENSE_CANDIDATES)[:DENSE_CANDIDATES]
            dense[lexical_top] = stored.chunk_vectors[lexical_top] @ question_vector
            keep = found[0] >= 0
            dense[found[0][keep]] = found_scores[0][keep]
        return dense.astype(np.float32), lexical

    def search(self, question: str, k: int = 5) -> list[Hit]:
        """The k chunks that best match `question`, best first."""
        if not question.strip():
            raise CsobotError("the question is empty")
        if k < 1:
            raise CsobotError("k must be at least 1")
        focused = self.focus(question)
        vector = center(self.embedder.encode([focused]), self.centroid)[0]
        return self.rank(vector, terms(focused), self.sentence_scores(vector), k)

    def focus(self, question: str) -> str:
        """The question less the corpus's topic words, which every passage shares (see TOPIC_SHARE);
        kept whole when nothing else would remain."""
        text = abbreviated(question, self.stored.acronyms)
        lexical = self.stored.lexical
        kept = [w for w in WORD.findall(text) if not any(lexical.is_topic(t, TOPIC_SHARE) for t in terms(w))]
        if not any(terms(" ".join(kept))):
            return text
        return " ".join(kept)

    def rank(
        self, question_vector: np.ndarray, question_terms: list[str], sentence_scores: np.ndarray, k: int
    ) -> list[Hit]:
        dense, lexical = self.scores(question_vector, question_terms)
        best_sentence = np.maximum.reduceat(sentence_scores[self._members], self._member_starts)
        fused = (DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical + SENTENCE_WEIGHT * best_sentence) / (
            1 + SENTENCE_WEIGHT
        )
        k = min(k, len(fused))
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.argsort(-fused[top], kind="stable")]
        chunks = self.stored.chunks
        return [
            Hit(
                text=chunks[i].text,
                score=float(fused[i]),
                source=chunks[i].source,
                section=chunks[i].section,
                start=chunks[i].start,
                end=chunks[i].end,
                chunk=int(i),
                dense=float(dense[i]),
                lexical=float(lexical[i]),
            )
            for i in top
        ]
