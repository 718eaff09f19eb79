"""Answer stage: pick the sentences that answer a question, cite them, or decline.

Answers are extractive: every sentence is quoted from the corpus and cited with [n], where
`Answer.sources[n-1]` is the chunk it came from. No text is generated.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .acronyms import abbreviated
from .chunking import BULLET, Sentence
from .embedding import Embedder
from .lexical import terms
from .retrieval import Hit, Query, Retriever

# Chunks whose sentences compete to answer.
CANDIDATE_CHUNKS = 6
# Sentence score = weights · (cosine with the question, share of the question's term weight it holds,
# fused score of its best chunk). Chosen on eval/cso-dev.jsonl and ../shared/bench (README, "Answers").
SENTENCE_WEIGHTS = (0.45, 0.35, 0.2)
# A sentence joins the best one when it scores at least this fraction of it…
KEEP_RATIO = 0.4
MAX_SENTENCES = 4
SAME_PARAGRAPH_BONUS = 0.15
MAX_WORDS = 60  # …and the answer, citation markers included, stays this short.
# The corpus covers a question when some sentence is at least this similar to it (plain cosine of the
# rewritten question): calibrated on eval/cso-dev.jsonl, where clearly off-topic questions stay below
# 0.19 and covered ones start at 0.25 (README, "Abstention").
ABSTAIN_BELOW = 0.22
# A follow-up is read on its own when it finds this much evidence alone; else with the previous question.
FOLLOW_UP_ALONE = 0.45
# A question asking for a quantity or a date is answered by a sentence that holds a number.
ASKS_FOR_NUMBER = re.compile(
    r"\b(how (much|many|long|old|far|often|large|big)|when|what (year|percentage|date)|which year)\b", re.IGNORECASE
)
NUMBER = re.compile(r"\d")
NUMBER_BONUS = 0.15
# Sentences about the document rather than its subject ("this post will shed more light…").
META = re.compile(r"\b(this|the) (post|article|page|blog|guide|website)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    text: str  # Markdown, with [n] markers citing sources[n-1]
    sources: list[Hit] = field(default_factory=list)
    abstained: bool = False
    query: str = ""  # the question as searched: rewritten, follow-ups resolved


def previous_question(history: list[dict] | None) -> str | None:
    questions = [str(turn.get("content", "")) for turn in history or [] if turn.get("role") == "user"]
    return questions[-1] if questions else None


class Chatbot:
    def __init__(self, retriever: Retriever):
        self.retriever = retriever
        stored = retriever.stored
        # Matched the way BM25 matches chunks: an acronym and its long form are one term.
        self.sentence_terms = [set(terms(abbreviated(s.text, stored.acronyms))) for s in stored.sentences]
        self.quotable = np.array([not META.search(s.text) for s in stored.sentences], dtype=bool)
        self.quotable_vectors = stored.sentence_vectors[self.quotable]
        self.has_number = np.array([NUMBER.search(s.text) is not None for s in stored.sentences], dtype=bool)
        paragraphs = {key: n for n, key in enumerate(dict.fromkeys((s.source, s.paragraph) for s in stored.sentences))}
        self.paragraph_of = np.array([paragraphs[(s.source, s.paragraph)] for s in stored.sentences], dtype=np.int64)
        self.coverage = _coverage(stored.sentences)

    @classmethod
    def load(cls, index: str | Path = "index", embedder: Embedder | None = None) -> Chatbot:
        return cls(Retriever.load(index, embedder))

    def evidence(self, query: Query) -> float:
        """How well the best quotable sentence matches the question, as plain cosine similarity."""
        scores = self.quotable_vectors @ query.embedding
        return float(scores.max()) if scores.size else 0.0

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        """Answer `question`, reading follow-ups against the chat `history` (Gradio messages format)."""
        query = self.retriever.query(question)
        evidence = self.evidence(query)
        previous = previous_question(history)
        if previous and evidence < FOLLOW_UP_ALONE:
            query = self.retriever.query(f"{question} {previous}")
            evidence = self.evidence(query)
        if evidence < ABSTAIN_BELOW:
            return Answer(self.decline(), [], True, query.text)
        hits = self.retriever.rank(query, CANDIDATE_CHUNKS)
        return self.compose(self.select(question, query, hits), hits, query.text)

    def select(self, question: str, query: Query, hits: list[Hit]) -> list[int]:
        """The best sentence of the candidate chunks and those close to it, in reading order."""
        stored = self.retriever.stored
        chunk_score: dict[int, float] = {}  # sentence → score of the best candidate chunk holding it
        for hit in hits:
            for i in range(*stored.chunks[hit.chunk].sentences):
                if self.quotable[i]:
                    chunk_score[i] = max(chunk_score.get(i, -1.0), hit.score)
        if not chunk_score:
            return []
        candidates = np.fromiter(chunk_score, dtype=np.int64)
        weights = {t: stored.lexical.idf_of(t) for t in set(query.terms)}
        total = sum(weights.values()) or 1.0
        lexical = np.array(
            [sum(w for t, w in weights.items() if t in self.sentence_terms[i]) / total for i in candidates]
        )
        w_dense, w_lexical, w_chunk = SENTENCE_WEIGHTS
        score = (
            w_dense * (stored.sentence_vectors[candidates] @ query.embedding)
            + w_lexical * lexical
            + w_chunk * np.fromiter(chunk_score.values(), dtype=np.float64)
        )
        if ASKS_FOR_NUMBER.search(question):
            score = score + NUMBER_BONUS * self.has_number[candidates]
        best = int(np.argmax(score))
        floor = KEEP_RATIO * score[best]
        # Sentences of the best one's paragraph (or list, lead-in included) read on from it: a head start.
        score = score + SAME_PARAGRAPH_BONUS * (self.paragraph_of[candidates] == self.paragraph_of[candidates[best]])
        score[best] = np.inf
        chosen: list[int] = []
        words = 0
        for j in np.argsort(-score, kind="stable"):
            i = int(candidates[j])
            if chosen and (len(chosen) == MAX_SENTENCES or score[j] < floor):
                break
            length = _words(stored.sentences[i].text)
            if not chosen or words + length <= MAX_WORDS:
                chosen.append(i)
                words += length
        return sorted(chosen)  # the sentence list is in reading order

    def compose(self, chosen: list[int], hits: list[Hit], query: str) -> Answer:
        """Markdown quoting the chosen sentences, each followed by the marker of the best chunk holding it.
        Prose runs on in one paragraph; list items keep a line each, as Markdown list items."""
        stored = self.retriever.stored
        sources: list[Hit] = []
        lines: list[str] = []
        previous_was_item = False
        for i in chosen:
            sentence = stored.sentences[i]
            hit = next(
                h for h in hits if stored.chunks[h.chunk].sentences[0] <= i < stored.chunks[h.chunk].sentences[1]
            )
            if hit not in sources:
                sources.append(hit)
            bullet = BULLET.match(sentence.text)
            text = _markdown_safe(sentence.text[bullet.end() :] if bullet else sentence.text)
            quoted = f"{'- ' if bullet else ''}{text} [{sources.index(hit) + 1}]"
            if lines and not bullet and not previous_was_item:
                lines[-1] += " " + quoted
            else:
                lines.append(quoted)
            previous_was_item = bullet is not None
        return Answer("\n".join(lines), sources, False, query)

    def decline(self) -> str:
        covered = ", ".join(self.coverage)
        return (
            f"The documents don't cover that. They cover: {covered}." if covered else "The documents don't cover that."
        )


def _coverage(sentences: list[Sentence]) -> list[str]:
    """What the corpus is about, for declining: its section titles, else its document names."""
    sections = list(dict.fromkeys(s.section for s in sentences if s.section))
    if sections:
        return sections
    return list(dict.fromkeys(Path(s.source).stem.replace("_", " ") for s in sentences))


def _words(text: str) -> int:
    """Words a sentence takes in an answer: its own and its citation marker."""
    return len(text.split()) + 1


def _markdown_safe(text: str) -> str:
    """Corpus text shown as Markdown: HTML is escaped so it reads as text and never runs."""
    return html.escape(" ".join(text.split()), quote=False)
