"""Benchmarks: answer quality on a QA file, retrieval and answer hits on SQuAD, and latency.

QA file format (JSON Lines, one case per line; eval/cso-dev.jsonl is an example):
    {"question": "...",                 # required
     "facts": ["143,541", ["bachelor", "degree"]],  # each fact: a string, or a list of alternatives;
                                        #   found when it occurs, case-insensitively, in Answer.text
     "abstain": false,                  # true: the corpus does not cover it, the bot must decline
     "history": [{"role": "user", "content": "..."}, ...],   # optional, Gradio messages format
     "kind": "direct"}                  # optional label for the report
"""

from __future__ import annotations

import json
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .answer import Chatbot
from .embedding import Embedder
from .errors import CsobotError
from .index import build_index
from .retrieval import Retriever

MAX_PASSAGE_WORDS = 200
MAX_ANSWER_WORDS = 60


@dataclass(frozen=True)
class QACase:
    question: str
    facts: list[list[str]]
    abstain: bool = False
    history: list[dict] = field(default_factory=list)
    kind: str = ""


def load_qa(path: str | Path) -> list[QACase]:
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            facts = [[f] if isinstance(f, str) else list(f) for f in row.get("facts", [])]
            cases.append(
                QACase(row["question"], facts, bool(row.get("abstain")), row.get("history") or [], row.get("kind", ""))
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CsobotError(f"{path}:{n}: not a QA case ({exc})") from exc
    return cases


# Words a typo may hit: five letters or more, in lower case (a capitalised word may be a name).
TYPABLE = re.compile(r"\b[a-z]{5,}\b")
TYPOS_PER_QUESTION = 2


def misspelt(cases: list[QACase], seed: int) -> list[QACase]:
    """`cases` with up to two words of each question misspelt at random (from `seed`): a letter left out,
    doubled, swapped with the next or put for another, never the first. A robustness benchmark no
    one can tune to: each seed gives other typos."""
    rng = random.Random(seed)

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word) - 1)
        return rng.choice(
            (
                word[:i] + word[i + 1 :],
                word[:i] + word[i] + word[i:],
                word[:i] + word[i + 1] + word[i] + word[i + 2 :],
                word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :],
            )
        )

    typed = []
    for case in cases:
        spans = [m.span() for m in TYPABLE.finditer(case.question)]
        question = case.question
        for start, end in sorted(rng.sample(spans, min(TYPOS_PER_QUESTION, len(spans))), reverse=True):
            question = question[:start] + typo(question[start:end]) + question[end:]
        typed.append(QACase(question, case.facts, case.abstain, case.history, case.kind))
    return typed


# A question asked mid-chat follows the one this many lines further on in the file (wrapping round).
MID_CHAT_OFFSET = 7


def mid_chat(bot: Chatbot, cases: list[QACase]) -> list[QACase]:
    """`cases` asked in the middle of a chat: each question without a history of its own is asked after
    another of the file and the bot's answer to it. A question that stands alone must be answered as it
    is alone (and an off-topic one declined), not read as a follow-up of what came before."""
    chatted = []
    for n, case in enumerate(cases):
        if case.history:
            chatted.append(case)
            continue
        before = cases[(n + MID_CHAT_OFFSET) % len(cases)].question
        history = [{"role": "user", "content": before}, {"role": "assistant", "content": bot.ask(before).text}]
        chatted.append(QACase(case.question, case.facts, case.abstain, history, case.kind))
    return chatted


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def _encode_ms(embedder: Embedder, question: str) -> float:
    """Time of one bare encode of the question: the yardstick for `ask`."""
    started = time.perf_counter()
    embedder.encode([question])
    return (time.perf_counter() - started) * 1000


def evaluate_qa(bot: Chatbot, cases: list[QACase]) -> dict:
    """Fact-hit rate, abstention accuracy, answer length and latency over `cases`."""
    for case in cases[:3]:  # warm up caches so the timings measure steady state
        bot.ask(case.question, case.history)
    rows = []
    encode_times = []
    for case in cases:
        started = time.perf_counter()
        answer = bot.ask(case.question, case.history)
        ms = (time.perf_counter() - started) * 1000
        # Timed right after the ask it is compared with, so both meet the same load on the machine.
        encode_times.append(_encode_ms(bot.retriever.embedder, case.question))
        text = answer.text.lower()
        found = [any(alt.lower() in text for alt in fact) for fact in case.facts]
        rows.append((case, answer, ms, found))
    covered = [r for r in rows if not r[0].abstain]
    off_topic = [r for r in rows if r[0].abstain]
    ask_ms = statistics.median(ms for _, _, ms, _ in rows)
    encode_ms = statistics.median(encode_times)
    words = [len(a.text.split()) for c, a, _, _ in covered if not a.abstained]
    return {
        "cases": len(rows),
        "fact_hit": sum(all(f) and not a.abstained for _, a, _, f in covered) / max(len(covered), 1),
        "facts_found": sum(sum(f) for *_, f in covered) / max(sum(len(f) for *_, f in covered), 1),
        "declined_off_topic": sum(a.abstained for _, a, _, _ in off_topic) / max(len(off_topic), 1),
        "declined_in_scope": sum(a.abstained for _, a, _, _ in covered),
        "answer_words_mean": statistics.mean(words) if words else 0.0,
        "answer_words_max": max(words, default=0),
        "ask_ms_p50": ask_ms,
        "ask_ms_p95": _percentile([ms for _, _, ms, _ in rows], 0.95),
        "encode_ms_p50": encode_ms,
        "ask_over_encode": ask_ms / encode_ms,
        "failures": [
            {
                "question": c.question,
                "kind": c.kind,
                "answer": a.text,
                "missing": [f[0] for f, ok in zip(c.facts, fo, strict=True) if not ok],
            }
            for c, a, _, fo in rows
            if (c.abstain != a.abstained) or not all(fo)
        ],
    }


def squad_corpus(path: str | Path) -> tuple[dict[str, str], list[tuple[str, list[str]]], list[str]]:
    """Each article as one document (paragraphs separated by blank lines), its answerable questions with
    their gold answers, and its unanswerable ones (SQuAD 2.0's `is_impossible`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise CsobotError(f"{path} is not SQuAD JSON ({exc})") from exc
    documents, questions, unanswerable = {}, [], []
    for article in data:
        documents[article["title"]] = "\n\n".join(p["context"] for p in article["paragraphs"])
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                if not qa.get("is_impossible") and qa["answers"]:
                    questions.append((qa["question"], [a["text"] for a in qa["answers"]]))
                elif qa.get("is_impossible"):
                    unanswerable.append(qa["question"])
    return documents, questions, unanswerable


def _contains(text: str, golds: list[str], max_words: int) -> bool:
    lowered = text.lower()
    return len(text.split()) <= max_words and any(g.lower() in lowered for g in golds)


def evaluate_squad(path: str | Path, embedder: Embedder, k: int = 5) -> dict:
    """Build an index from the articles of a SQuAD file and ask every question: the answerable ones for
    passage and answer hits, the unanswerable ones (SQuAD 2.0) to count how many are declined."""
    documents, questions, unanswerable = squad_corpus(path)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for title, text in documents.items():
            (corpus / f"{title}.txt").write_text(text, encoding="utf-8")
        stats = build_index(corpus, Path(tmp) / "index", model=embedder)
        # Asked for answers as short as the answer hit counts.
        bot = Chatbot(Retriever.load(Path(tmp) / "index", embedder), MAX_ANSWER_WORDS)
    hit1 = hitk = answered = declined = 0
    times, encode_times = [], []
    for question, golds in questions:
        hits = bot.retriever.search(question, k=k)
        hit1 += _contains(hits[0].text, golds, MAX_PASSAGE_WORDS)
        hitk += any(_contains(h.text, golds, MAX_PASSAGE_WORDS) for h in hits)
        started = time.perf_counter()
        answer = bot.ask(question)
        times.append((time.perf_counter() - started) * 1000)
        encode_times.append(_encode_ms(bot.retriever.embedder, question))
        answered += _contains(answer.text, golds, MAX_ANSWER_WORDS)
        declined += answer.abstained
    n = max(len(questions), 1)
    impossible = (
        {
            "impossible": len(unanswerable),
            "declined_impossible": sum(bot.ask(q).abstained for q in unanswerable) / len(unanswerable),
        }
        if unanswerable
        else {}
    )
    return {
        "questions": len(questions),
        "chunks": stats.chunks,
        "passage_hit@1": hit1 / n,
        f"passage_hit@{k}": hitk / n,
        "answer_hit": answered / n,
        "declined_answerable": declined / n,
        **impossible,
        "ask_ms_p50": statistics.median(times) if times else 0.0,
        "encode_ms_p50": statistics.median(encode_times) if encode_times else 0.0,
        "ask_over_encode": statistics.median(times) / statistics.median(encode_times) if times else 0.0,
    }
