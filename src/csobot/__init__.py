"""csobot: cited, extractive answers from a small corpus.

from csobot import build_index, Retriever
build_index("corpus", "index")
hits = Retriever.load("index").search("How much does a CSO earn?", k=5)
"""

from .answer import Answer, Chatbot
from .chunking import Chunk, ChunkerConfig, Sentence
from .corpus import Document, load_corpus
from .embedding import Embedder
from .errors import CsobotError
from .index import BuildStats, build_index, stale_reason
from .retrieval import Hit, Retriever

__all__ = [
    "Answer",
    "BuildStats",
    "Chatbot",
    "Chunk",
    "ChunkerConfig",
    "CsobotError",
    "Document",
    "Embedder",
    "Hit",
    "Retriever",
    "Sentence",
    "build_index",
    "load_corpus",
    "stale_reason",
]
