"""The BM25 half of the hybrid index (bm25s), with scores normalised so they compare across queries."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from spellchecker import SpellChecker

WORD = re.compile(r"\w\w+")
SENTENCE_ENDS = ("?", ".", "!")  # what ends a sentence a topic word may end (`LexicalIndex.split_topic`)
LETTER_RUNS = re.compile(r"[^\W\d_]+")
# NLTK's list: question words ("what", "who") carry no content. Contractions typed without the apostrophe
# are the stop words they stand for: "dont", "whats" (read as "what" and "s" when the apostrophe is there).
STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {
    *(w.replace("'", "") for w in STOPWORDS_EN_PLUS if "'" in w),
    *(f"{w}s" for w in ("what", "how", "who", "where", "when", "why", "that", "there", "here")),
    "im",
    "cant",
    # How the asker feels about asking, not what is asked: "Honestly, would I struggle…?", "What would she actually do?"
    *("honestly", "actually", "really", "basically", "literally", "seriously", "genuinely", "truly", "frankly"),
    # Pronouns standing for whatever is asked about: "Anything about the thinking side?" asks about thinking.
    *("anything", "something", "everything", "nothing"),
}
# A word found in at least this share of chunks is the corpus's topic, not a clue to the answer.
TOPIC_SHARE = 0.7
_stemmer = Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed words: what BM25 matches on."""
    return _stemmer.stemWords([w for w in WORD.findall(text.lower()) if w not in STOPWORDS])


class LexicalIndex:
    """BM25 over chunks. `scores` divides by the most a query could score, so 1.0 means every
    query term matched with saturated frequency and 0.0 means none did, whatever the query."""

    def __init__(self, bm25: bm25s.BM25):
        self.bm25 = bm25
        n_docs = bm25.scores["num_docs"]
        df = np.diff(bm25.scores["indptr"]).astype(np.float64)
        self.share = df / max(n_docs, 1)  # of chunks holding each term
        # Lucene's idf, as bm25s scores with it; a term the corpus lacks counts as the rarest.
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self.unseen_idf = float(np.log1p((n_docs + 0.5) / 0.5))

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        bm25 = bm25s.BM25()  # Lucene variant: its term-frequency part stays below 1, giving the bound above
        bm25.index([terms(t) for t in texts], show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), show_progress=False))

    @property
    def vocabulary(self) -> dict[str, int]:
        return self.bm25.vocab_dict

    def idf_of(self, term: str) -> float:
        i = self.vocabulary.get(term)
        return self.unseen_idf if i is None else float(self.idf[i])

    def is_topic(self, term: str) -> bool:
        """Whether `term` occurs in at least TOPIC_SHARE of the chunks, too often to tell them apart."""
        i = self.vocabulary.get(term)
        return i is not None and self.share[i] >= TOPIC_SHARE

    def split_topic(self, text: str) -> tuple[list[str], list[str]]:
        """The words of `text` that say something here, and those that name the corpus's topic: every
        passage shares them."""
        kept: list[str] = []
        dropped: list[str] = []
        words = text.split()
        for n, word in enumerate(words):
            word_terms = terms(word)
            if not any(self.is_topic(t) for t in word_terms):
                kept.append(word)
            elif word_terms:
                dropped.append(word)
                # Its sentence's end stays, where another sentence follows: lost with "CSO?", "what study is needed
                # for be CSO? I am from Brazil." read as one question, and the statement's words as asked
                # (`retrieval.asked`). At the end it would only move what the model reads ("What happens without a?").
                end = word.rstrip("\"'”’)")[-1:]
                if end in SENTENCE_ENDS and kept and not kept[-1].endswith(SENTENCE_ENDS) and n < len(words) - 1:
                    kept[-1] += end
        return kept, dropped

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """Score of every chunk in [0, 1)."""
        unique = list(dict.fromkeys(query_terms))
        n_docs = self.bm25.scores["num_docs"]
        ids = [self.vocabulary[t] for t in unique if t in self.vocabulary and t]
        if not ids:
            return np.zeros(n_docs, dtype=np.float32)
        ceiling = sum(self.idf_of(t) for t in unique)
        return (self.bm25.get_scores(ids) / ceiling).astype(np.float32)


# Where a sentence opens: at the text's start or after a sentence's end, before any punctuation.
SENTENCE_OPENING = r"(?:^|[.?!]\s+)\W*"
# The corpus words a word may misspell: four letters or more ("cso" is no misspelt "CISO").
CANDIDATE = re.compile(r"[^\W\d_]{4,}")
# Between a question word and the subject that follows it stands a verb: there a real word one slip from an
# auxiliary is that auxiliary ("who dose the CSO answer to?"), where elsewhere "dose" is a word like any other.
AUXILIARIES = frozenset({"does", "were", "have", "will", "could", "should", "would"})
QUESTION_WORD = r"who|whom|what|which|where|when|why|how(?:\s+(?:much|many|long|often))?"
SUBJECT_OPENING = r"the|a|an|this|that|these|those|my|your|our|their|his|her|its|they|he|she|it|you|we|i"
BEFORE_SUBJECT = re.compile(rf"\b(?:{QUESTION_WORD})\s+([^\W\d_]{{4,}})(?=\s+(?:{SUBJECT_OPENING})\b)", re.IGNORECASE)


class Speller:
    """Corrects words the corpus never uses to the corpus word they most likely misspell
    ("certifcations" → "certifications"), so both BM25 and the model see the intended word.
    Real words — in `known` (e.g. the model's vocabulary) or in `dictionary` (word → how common it
    is), unless barely ever seen there (`RARE`) — are never corrected: "string" is not a misspelt
    "strong". A word written in lower case that is like no corpus word, and no word of the dictionary,
    is corrected to the dictionary word it may be a slip for ("reprot" → "report", "shoud" → "should"),
    so the model reads a word it knows; a capitalised one is left alone, being more likely a name than a
    typo, unless it opens a sentence ("Hwo much…?"), where every word is capitalised. Of several such
    words, `relevance` (how near each is to what the corpus is about) picks the one its reader more
    likely meant ("daties": "duties", not the commoner "dates"); without it, the commonest."""

    # The words it corrects. Of three letters, only two last letters swapped ("hwo", "teh") and a far commoner
    # word missing a letter (`DROPPED`) are told apart from abbreviations ("hrs", "pls"); shorter words are too alike.
    LETTERS = re.compile(r"[^\W\d_]{3,}")
    # Where a sentence opens: its first word is capitalised by custom, not as a name.
    OPENING = re.compile(rf"{SENTENCE_OPENING}$")
    # A word is the corpus word it is this like (difflib's ratio)…
    CLOSE = 0.8
    # …and a lower-case word that is no word at all may be a slip for the corpus word it is this like
    # ("saery": "salary", "skijs": "skills" rather than "skies"), unless cut short from one ("comms" of
    # "communicate").
    SLIP_CLOSE = 0.7
    # Of several slips, the likeliest has the most relevance + FREQUENCY_WEIGHT · log10(count): relevance
    # decides, how common a word is parts near ties.
    FREQUENCY_WEIGHT = 0.05
    # A slip is corrected only to a word at least this common in `dictionary` (pyspellchecker's counts), or
    # to one the model knows ("postgraduate", 345): rarer ones ("amin" for "admin", 81) are likelier wrong
    # than right.
    COMMON = 1000
    # A dictionary word counted this rarely (pyspellchecker's floor: listed, barely ever seen) and unknown to
    # the model is as likely a slip as a word ("sills" for "skills", "coss" for "costs"): it is read like one.
    RARE = 50
    # A word of three letters is a word of four missing one when that word is this many times commoner than
    # it, or than a common word (`COMMON`): "wat" (680 in the dictionary) is "what" (17 million), "lik" (0)
    # "like" (9 million); "uni" (996) is no "unit" (47,000), "hrs" (0) no "hers" (11,000).
    DROPPED = 1000
    # A word typed without its apostrophe is the contraction when that is this many times commoner: "whats"
    # (6,856) is "what's" (1.9 million), "dont" (0) "don't"; "its" (559,181) stays, as do "ill" and "well".
    ELIDED = 100
    # Corrections remembered: a question is read twice (as asked, then as searched), and a slip may ask the
    # model.
    REMEMBERED = 4096

    def __init__(
        self,
        texts: list[str],
        known: Collection[str] = frozenset(),
        dictionary: Mapping[str, int] = MappingProxyType({}),
        relevance: Callable[[list[str]], np.ndarray] | None = None,
    ):
        self.known = known
        self.dictionary = dictionary
        self.relevance = relevance
        self.words = {w.lower() for text in texts for w in LETTER_RUNS.findall(text)}  # every word of the texts
        self._remembered = lru_cache(maxsize=self.REMEMBERED)(self._correction)
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self.words:
            if CANDIDATE.fullmatch(word):
                self._by_initial[word[0]].append(word)

    def closest(self, word: str, cutoff: float = CLOSE) -> str | None:
        """The corpus word that `word` is, or most likely misspells; None when it is like none of them."""
        lowered = word.lower()
        if lowered in self.words:
            return lowered
        candidates = [w for w in self._by_initial.get(lowered[0], ()) if abs(len(w) - len(lowered)) <= 2]
        close = difflib.get_close_matches(lowered, candidates, n=1, cutoff=cutoff)
        return close[0] if close else None

    def correct_word(self, word: str) -> str:
        return self._remembered(word)

    def _correction(self, word: str) -> str:
        lowered = word.lower()
        if len(word) == 3 and word.islower() and lowered not in self.words and lowered not in STOPWORDS:
            fuller = [w for w in _typed_for(lowered) if len(w) == 4]
            meant = max(fuller, key=lambda w: self.dictionary.get(w, 0), default=None)
            count = self.dictionary.get(lowered, 0)
            if meant and self.dictionary.get(meant, 0) >= self.DROPPED * max(count, self.COMMON):
                return meant
        if word.islower() and lowered not in self.words:
            contraction = max(_apostrophe_in(lowered), key=lambda w: self.dictionary.get(w, 0), default="")
            if self.dictionary.get(contraction, 0) >= self.ELIDED * max(self.dictionary.get(lowered, 0), 1):
                return contraction
        if lowered in self.known or self.dictionary.get(lowered, 0) > self.RARE or lowered in STOPWORDS:
            return word
        if len(word) == 3:
            swapped = lowered[0] + lowered[2] + lowered[1]
            is_slip = word.islower() and lowered not in self.words and self.is_common(swapped)
            return swapped if is_slip else word
        closest = self.closest(word)
        if closest is None and word.islower() and not self.is_clipped(word):
            like = self.closest(word, self.SLIP_CLOSE)
            closest = self._likeliest_slip(lowered, like) or like
        return word if closest is None or closest == lowered else closest

    def is_clipped(self, word: str) -> bool:
        """Whether `word` is a corpus word cut short ("execs" of "executives", "comms" of "communicate")."""
        clipped = word.lower().removesuffix("s")
        return len(clipped) >= 4 and any(w.startswith(clipped) for w in self.words)

    def _likeliest_slip(self, word: str, like: str | None) -> str | None:
        """The word likeliest meant: of the dictionary's common words or those the model knows one slip
        away from `word`, and `like`, the corpus word it is like (`SLIP_CLOSE`)."""
        slips = sorted(w for w in _typed_for(word) if self.is_common(w) or (w in self.known and w in self.dictionary))
        if like is not None and like not in slips and not _typed_for(word).isdisjoint({like, *_typed_for(like)}):
            slips.append(like)  # two slips away at most: "skijs" of "skills", not "effecive" of "executive"
        counts = np.array([max(self.dictionary.get(w, 0), 1) for w in slips], dtype=np.float64)
        if len(slips) < 2 or self.relevance is None:
            return slips[int(np.argmax(counts))] if slips else None
        return slips[int(np.argmax(self.relevance(slips) + self.FREQUENCY_WEIGHT * np.log10(counts)))]

    def is_common(self, word: str) -> bool:
        return self.dictionary.get(word.lower(), 0) >= self.COMMON

    def correct(self, text: str) -> str:
        return self.LETTERS.sub(self._corrected, BEFORE_SUBJECT.sub(self._auxiliary, text))

    def _auxiliary(self, match: re.Match) -> str:
        """The question word and the auxiliary its next word slips for, if it is one slip from one alone."""
        word = match.group(1)
        lowered = word.lower()
        verbs = set() if lowered in AUXILIARIES or lowered in self.words else _typed_for(lowered) & AUXILIARIES
        verb = verbs.pop() if len(verbs) == 1 else word
        return match.group()[: match.start(1) - match.start()] + (verb.upper() if word.isupper() else verb)

    def _corrected(self, match: re.Match) -> str:
        """A word corrected; a sentence's first word, capitalised by custom, as if in lower case."""
        word = match.group()
        if word[:1].isupper() and word[1:].islower() and self.OPENING.search(match.string[: match.start()]):
            corrected = self.correct_word(word.lower())
            return word if corrected == word.lower() else corrected.capitalize()
        return self.correct_word(word)


class WordForms:
    """Reads a word the model does not know whole in the form the corpus writes it ("persuasive" →
    "persuade"). The model splits such a word into pieces ("per", "##su", "##asi", "##ve") that match none
    of the corpus word's ("persuade"), so a question asking it matched no sentence saying it. The corpus's
    form shares its stem — an opening of `PREFIX` letters or more, all but the last `ENDING` letters of the
    shorter word — and the model, reading both alone, ties them (`SIMILARITY`): "criminology" is read as
    "criminal" (0.60). A word the model knows whole keeps its own meaning: "minimum" is no "minimizes"
    (0.59), "policing" no "policy" (0.56); so does a capitalised one, likelier a name."""

    PREFIX = 5
    ENDING = 3
    SIMILARITY = 0.55
    WORD = re.compile(r"\b[a-z]{5,}\b")

    def __init__(
        self, words: Collection[str], known: Collection[str], similarity: Callable[[str, list[str]], np.ndarray]
    ):
        self.words = words
        self.known = known
        self.similarity = similarity  # of a word with each of several others, as the model reads them alone
        self._remembered = lru_cache(maxsize=Speller.REMEMBERED)(self._form)
        self._by_opening: dict[str, list[str]] = defaultdict(list)
        for word in words:
            self._by_opening[word[: self.PREFIX]].append(word)

    def correct(self, text: str) -> str:
        return self.WORD.sub(lambda match: self._remembered(match.group()), text)

    def _form(self, word: str) -> str:
        if word in self.words or word in self.known or word in STOPWORDS:
            return word
        kin = [
            w
            for w in self._by_opening.get(word[: self.PREFIX], ())
            if _shared_opening(word, w) >= max(self.PREFIX, min(len(w), len(word)) - self.ENDING)
        ]
        if not kin:
            return word
        similarity = self.similarity(word, kin)
        best = int(np.argmax(similarity))
        return kin[best] if similarity[best] >= self.SIMILARITY else word


def _shared_opening(a: str, b: str) -> int:
    """How many letters `a` and `b` open with alike."""
    return next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _apostrophe_in(word: str) -> list[str]:
    """`word` with an apostrophe between two of its letters, at each place: "dont" → "d'ont", "do'nt", "don't"."""
    return [f"{word[:n]}'{word[n:]}" for n in range(1, len(word))]


def _typed_for(word: str) -> set[str]:
    """Words that `word` may be a slip of the keys for: one letter more, one less, another, or two
    swapped (Norvig's edits), the first letter kept, four letters or more. Shorter
    words and other first letters are what abbreviations look like ("mgmt", "quals"), not slips."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word) + 1)]
    edits = (
        {a + b[1:] for a, b in splits if b}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + c + b for a, b in splits for c in "abcdefghijklmnopqrstuvwxyz"}
        | {a + c + b[1:] for a, b in splits if b for c in "abcdefghijklmnopqrstuvwxyz"}
    )
    return {w for w in edits if len(w) >= 4}


@cache
def english_words() -> Mapping[str, int]:
    """English words with how common each is (pyspellchecker's list, 160,000 words): a dictionary to
    tell real words from slips."""
    return MappingProxyType(SpellChecker(language="en", distance=1).word_frequency.dictionary)
