"""Retrieval stage: hybrid search over an index folder (FAISS cosine + normalised BM25)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .acronyms import abbreviated, spelled_out
from .embedding import Embedder, Pieces, center, corpus_centroid, dot
from .errors import CsobotError
from .index import StoredIndex, check_model
from .lexical import SENTENCE_ENDS, STOPWORDS, Speller, WordForms, english_words, terms

# The fused score is DENSE_WEIGHT·cosine + (1-DENSE_WEIGHT)·BM25, plus SENTENCE_WEIGHT·the cosine of
# the chunk's best-matching sentence (a chunk that holds one sentence squarely on the question beats one
# that is vaguely on topic throughout), plus, for the RERANK_CANDIDATES best, PIECE_WEIGHT·the best word-piece
# match among its sentences (`piece_match`), over the sum of the weights to stay in [-1, 1]. The
# weights were chosen on ../shared/bench (README, "Retrieval").
DENSE_WEIGHT = 0.2
SENTENCE_WEIGHT = 0.3
PIECE_WEIGHT = 0.65
RERANK_CANDIDATES = 20
# FAISS candidates per query before fusion; BM25 scores every chunk, cheaply, from its sparse matrix.
DENSE_CANDIDATES = 100
WORD = re.compile(r"\S+")
# A name: in capitals, maybe plural ("CSOs"), or capitalised; three letters at least, so "IT" and "HR"
# are not taken for one.
NAME = re.compile(r"([A-Z]{3,})s?|([A-Z][A-Za-z]{2,})")
PUNCTUATION = "\"'“”‘’()[]{},.;:!?"
SENTENCE_END = (*SENTENCE_ENDS, ":")  # after which a word is capitalised by custom, not as a name
# Where a question's sentences part: what it asks is in those not ending in "." or "!", nor saying, unpunctuated,
# what the asker is (`FIRST_PERSON`, `asked`).
STATEMENT_BREAK = re.compile(r"(?<=[.?!])\s+(?=\S)")
WORD_CHARS = re.compile(r"[A-Za-z]+")
# Chat that asks nothing: greetings, thanks, acknowledgements. Not a follow-up to read with the question before,
# nor, said after a question ("…or are they out and about a lot? thx"), part of what it asks.
SMALL_TALK = re.compile(
    r"(\W*(hi|hello|hey|thanks|thank you|thank u|thx|ty|ok|okay|cool|great|nice|awesome|perfect|got it|bye|"
    r"goodbye|cheers|good (morning|afternoon|evening))(\W+(so|very) much)?(\W+(a lot|again|there))?)+\W*",
    re.IGNORECASE,
)
# An acknowledgement opening a question ("ok, what about their schooling", "thanks! and who…") is no part of what it
# asks: "ok" matched nothing, and held that follow-up's coverage under the line on the raw article. Not a greeting,
# which opens a question asked fresh, not a follow-up: without "Hello," one dev question lost its answer.
ACKNOWLEDGEMENTS = "ok|okay|right|alright|cool|great|thanks"  # and what a follow-up may open with (`answer`)
ACKNOWLEDGED = re.compile(rf"^\W*(({ACKNOWLEDGEMENTS}|thank you|thx)\b\W*)+(?<=\W)(?=\w)", re.IGNORECASE)
# Who a sentence is about when it opens so: the one asking ("i am from Brazil"), who says, not asks.
FIRST_PERSON = re.compile(r"\W*(i|i'm|im|i've|ive|i'd|my|we|we're|our)\b", re.IGNORECASE)
# "a/an" after these opens what a question asks about: its subject ("does a nurse earn"), owner ("of a nurse") or
# what someone would be ("to become a nurse").
SUBJECT_BEFORE = {
    *("does", "do", "did", "is", "are", "was", "were", "can", "could", "would", "should", "will", "of"),
    *("be", "being", "become", "becomes", "becoming", "became"),
}
# A phrase this similar to the topic's name is of its kind: jobs 0.33–0.36 to "chief security officer";
# "postgraduate degree" 0.18, "newbie" 0.12, "remote job" 0.26 (README, "Abstention").
KIN_SIMILARITY = 0.3
# A name the corpus never writes may be another word for one it does: every word piece of "PhD", read
# alone, is 0.66 from a piece of "doctorate", where strangers stay below 0.5 ("MSc" 0.49 from "master",
# "FBI" 0.45 from "enforcement", "Microsoft" 0.42 from "computer", "MBA" 0.39) (README, "Abstention").
ALIAS_SIMILARITY = 0.6
# A word each of whose pieces, read alone, is this far from every piece of the corpus is foreign to it, wholly off
# its subject: "photosynthesis" is 0.22 from the nearest piece of the article, "recipes" 0.18, "python" 0.19, where
# words bearing on it reach further ("beginners" 0.34, "bonuses" 0.31, "office" 0.45) (README, "Answers").
FOREIGN_SIMILARITY = 0.23
# Modals NLTK's stop words leave out: with nothing else beside the topic, a question asks about the topic as a whole
# ("What would a CSO do?"). Elsewhere they say something: "What events might a CSO attend?" matches "They may…".
MODALS = frozenset({"would", "could", "might", "must", "may", "shall"})
# A request opening a question ("Tell me about…", "Describe…", "Do you know who…") says how to answer, not what about:
# "Do you know who a CSO reports to?" drew the duties for "know", and "Mind telling me what a CSO does?" was declined.
REQUEST = re.compile(
    r"^\W*(please\s+)?((can|could|would|do|does) (you|anyone)\s+)?(please\s+)?(tell me( more)?( about)?|define|"
    r"describe|explain|give me( an?( quick| short| brief)? (overview|summary|rundown|breakdown) of)?|show me|list|"
    r"summari[sz]e|outline|sum up|break down|spell out|(walk|run|take) (me|us) through|go (over|through)|know|"
    r"help me understand|any idea|mind (telling|showing|explaining|sharing)( me| us)?|"
    r"i('d| would) (like|love) to (know|learn|understand)|i (want|need|wish) to (know|learn|understand)|"
    r"i('m| am| was) (wondering|curious)( about)?|i('ve| have)( always)? wondered)\b",
    re.IGNORECASE,
)
# Earning in idiom ("What do these execs take home?"), read as the plain verb in the same form: the model ties
# "rake in" to no word of the article (0.18 to its nearest word piece), "earn" to "earn" and "salary".
EARNING = {
    f"{verb} {particle}": plain
    for verbs, particle in ((("take", "takes", "taking", "took"), "home"), (("rake", "rakes", "raking", "raked"), "in"))
    for verb, plain in zip(verbs, ("earn", "earns", "earning", "earned"), strict=True)
}
EARNS = "|".join(EARNING)
EARNING_IDIOM = re.compile(rf"\b({EARNS})\b", re.IGNORECASE)
# Time passed, read as time spent: the model ties "pass" in "Where do they pass most of the workday?" to no
# word of "They spend a larger percentage of their time…" (0.23 to "spend"). Only with a span of time after
# it, and no preposition between: "pass the exam within a year" passes an exam.
SPENDING = {"pass": "spend", "passes": "spends", "passing": "spending", "passed": "spent"}
PASSING_TIME = re.compile(
    rf"\b({'|'.join(SPENDING)})\b(?=\s+((?!(in|within|after|before|by|for|on|at|to)\b)\w+\s+){{0,3}}"
    r"(time|(work)?days?|hours?|weeks?|months?|years?|mornings?|afternoons?|evenings?)\b)",
    re.IGNORECASE,
)
# A day asked about as a whole asks how time is spent: the model ties "day" to the article's "time" at 0.25, and
# "What is a typical day for a CSO?" matches no sentence of "They spend a larger percentage of their time…" (0.12;
# read as "a typical time spent", 0.31). Read so only by a corpus that never writes of days (`DAYS`), whose own
# "day" would say what it means. Not "one day", "every day", "per day" or "vacation days": a when, a how often,
# a rate, a count. Work done "day to day" or "on a daily basis" is the work done: "What does the CSO do day to
# day?" asks what "What does the CSO do?" asks, and matched nothing with "day".
DAYS = frozenset({"day", "days", "daily", "workday", "workdays"})
ROUTINE = (
    (re.compile(r"\b(a|the)\s+day\s+in\s+the\s+life\b", re.IGNORECASE), "the time spent"),
    (re.compile(r"\b(daily|day-to-day)\s+(routine|life|schedule|grind)\b", re.IGNORECASE), "time spent"),
    (
        re.compile(
            r"\b(typical|normal|usual|average|ordinary|regular|standard)\s+((work|working|business)\s+)?(day|workday)\b",
            re.IGNORECASE,
        ),
        r"\1 time spent",
    ),
    (re.compile(r"\ball\s+day(\s+long)?\b", re.IGNORECASE), "all the time"),
    (re.compile(r"\s*\b(on\s+a\s+(day-to-day|daily)\s+basis|day[- ]to[- ]day)\b", re.IGNORECASE), ""),
    (
        re.compile(
            r"\b((spend|spends|spending|spent)(\s+\w+){0,2}?\s+)(the|their|his|her|your|my)\s+((work|working)\s+)?"
            r"(day|days|workday|workdays)\b",
            re.IGNORECASE,
        ),
        r"\1their time",  # not "the time": "most of the time" is "usually"
    ),
)
# Where any holder of a job works, said last ("What does a CSO do in a company?", "…at work"), is no part of what
# is asked: its "company" was all the question held besides the topic, and drew "The earning potential depends
# on the type of company one works for…". Only a bare setting: "at multinational companies" asks about those.
SETTING = re.compile(
    r"\s*,?\s+(in|at|within|inside|for)\s+((a|an|any|the|your|their|his|her|my|our)\s+)?"
    r"(company|organi[sz]ation|firm|business|corporation|workplace|enterprise)\b(?=\W*$)"
    r"|\s+(at work|on the job)(?=\W*$)",
    re.IGNORECASE,
)
# The job the topic names, named beside it ("the job of a CSO", "a CSO's role", "the CSO position"), is the topic
# itself: "What is the job of a CSO?" asks what a CSO is, and its "job" drew "new to the job" in the pay paragraph.
# Not a job to be had, "a job as a CSO", "a CSO job": "Can I land a CSO job with…?" asks about getting one.
ROLE = r"(jobs?|roles?|positions?|posts?)"
ROLE_OF = re.compile(rf"\b(the\s+)?{ROLE}\s+of\s+(?=((an?|the|their|his|her)\s+)?(?P<of>[\w'’-]+))", re.IGNORECASE)
HELD_ROLE = re.compile(rf"(?P<article>\b(an?)\s+)?\b(?P<holder>[\w-]+)(?P<owner>['’]s)?\s+{ROLE}\b", re.IGNORECASE)
# So is one good at it, asked about: "What skills does a good CSO need?" asks what a CSO needs, and its "good" drew
# "In addition to good academic credentials, …" over the skills on the raw article. Not what makes one good: "What
# makes a good CSO?" asks that, and is answered by the skills.
GOOD = "good|great|effective|successful|excellent|ideal|strong|outstanding"
GOOD_ONE = re.compile(rf"\b({GOOD})\s+(?=(?P<holder>[\w'’-]+))", re.IGNORECASE)
MADE = re.compile(r"\bmak(e|es|ing)\b[^?.,;]*$", re.IGNORECASE)  # "what makes (someone) a …", before it
# Who a request is for, said last ("Could you list her main responsibilities for me?"), is no part of what it asks:
# read with it, that question was 0.20 from the nearest sentence, declined, and 0.38 without.
FOR_WHOM = re.compile(r"\s*,?\s+for\s+(me|us)\b(?=\s*([?.!]|$))", re.IGNORECASE)
# How short or plain an answer is wanted ("in one line", "in a nutshell", "in simple terms") says how to answer, not
# what: "line" matched nothing, and drew the duties' list for "Tell me in one line what the CSO is ultimately
# accountable for." on the raw article.
HOW_PUT = re.compile(
    r",?\s*\b(in (one|a single|a few|two|three|\d+) (sentences?|lines?|words?)|in a (nutshell|word)|briefly|in brief"
    r"|in (plain|simple|layman'?s|lay|everyday) (terms|english|words|language)|in short(?=\s*([,.?!:]|$)))\b,?",
    re.IGNORECASE,
)
# Chat's asides say how someone talks, not what they ask: "heyy, random q but do security chiefs get to jet off to
# international events or nah?" matched 0.35 of its words, under the line, and 0.45 without "random q" and "or nah".
CHATTER = re.compile(
    r",?\s*\b(or nah|lol|lmao|tbh|btw|ngl|idk|(random|quick) q(uestion)?( but)?|just curious)\b[,.!]*",
    re.IGNORECASE,
)
# "??" or "?!" typed for emphasis asks what "?" does; the model reads them otherwise: "What does CSO stand
# for??" is 0.21 from the opening that says, with one "?" 0.25 (`ABSTAIN_BELOW` is 0.22).
EMPHASIS = re.compile(r"([?!])[?!]+")
# Nouns asking what a thing is ("cso definition", "the meaning of CSO", "CSO job description", whose "job" drew
# "new to the job" in the pay paragraph), or what a name is short for ("What do the letters CSO stand for?"), and
# verbs asking what it holds ("What does being a CSO involve?", declined for "involve"): a request too, wherever
# they stand. Not "stand for" itself: "What does AFC stand for?" finds "The American Football Conference (AFC)…"
# by it.
WHAT_IS = re.compile(
    r"\b((job|role|position)\s+)?(definition|meaning|overview|summary|description|abbreviation|acronym)(\s+(of|for))?\b"
    r"|\b(the\s+)?letters\b(?=[^?.!]*\bstand)"
    r"|\b(involves?|entails?)\b",
    re.IGNORECASE,
)
# Asking what a name stands for asks what it is, when nothing but the topic is named ("cso stands for?"). Not
# another name: "What does AFC stand for?" is answered by "The American Football Conference (AFC)…", which the
# name alone matches less.
STANDS_FOR = re.compile(r"\b(stand|stands)\s+for\b", re.IGNORECASE)
# The documents themselves, named or summed up: asking nothing else ("Summarize the article", "What is this text
# about?", "Give me an overview", `WHAT_IS`), a question asks what they are about, as the topic's name alone does.
# Not "Tell me more." nor "Give me an overview of that": more of what was said before (`POINTING`), or of nothing.
DOCUMENT_NAMES = "article|blog post|post|blog|page|documents?|docs|texts?|guide|piece|essay"
DOCUMENTS = re.compile(
    rf"\b(this|the|these)\s+({DOCUMENT_NAMES})('s|’s)?\b"
    r"|\b(gist|recap|tl;?\s?dr|(main|key) (points|ideas|takeaways)|takeaways)\b",
    re.IGNORECASE,
)
# What the documents' ending is asked to say, besides which a question about it may ask nothing ("What does the
# article's conclusion say about the CSO?"). Not "tell", which tells someone something: "what does the post tell
# readers to do at the end", asked after a question on pay, was answered for "readers" alone.
SAYING = re.compile(r"\b(say|says|said|mention|mentions|state|states)\b", re.IGNORECASE)
# The documents' ending, named ("the conclusion", "closing thoughts", "the last paragraph"), or asked about "at the
# end" of the documents named, or how they end ("How does the article wrap up its description of the CSO?" got the
# opening): what their last paragraph says ("How does the article sum up the CSO's overall
# responsibility at the end?" drew the duties, and the raw article, which heads no conclusion, declined
# "Summarize the article's conclusion"). Not the conclusion or end of something else ("at the end of the game"), nor
# one drawn ("what conclusion can be drawn?").
ENDING = re.compile(
    r"(?P<named>(\b(the|its|their)\s+|['’]s\s+)(conclusion|(concluding|closing|final|last)\s+(section|paragraph|part|"
    r"remarks|thoughts|words|lines?))|\b(concluding|closing)\s+(section|paragraph|remarks|thoughts|words|lines?))\b"
    r"(?!\s+(of|to)\b)|\bat the (very )?end\b(?!\s+of\b)"
    rf"|\b({DOCUMENT_NAMES})\s+((wraps?|wrapped) up|ends?|ended|close[sd]?)\b",
    re.IGNORECASE,
)
DEMONSTRATIVES = "those|these|that|this"  # pointing at what was said, here and in follow-ups (`answer`)
POINTING = re.compile(rf"\b({DEMONSTRATIVES}|it|its|them|they|he|she)\b", re.IGNORECASE)

# "What does X look like?", "What is X like?" ask for X described: their "look like" and "like" are no part of
# what they ask, and counted as words the passages lack, "What does a typical working day look like for a
# CSO?" matched too little of itself to be answered (0.36 of its words, 0.48 without them).
DESCRIBED = re.compile(r"\b(look|looks|feel|feels|sound|sounds|seem|seems)\s+like\b|\blike(?=\W*$)", re.IGNORECASE)


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
    dense: float  # cosine similarity of question and chunk, both centred on the corpus
    lexical: float  # BM25 over its ceiling for this question, in [0, 1)

    @property
    def where(self) -> str:
        """Where the passage is, for a citation: "file § section"."""
        return f"{self.source} § {self.section}" if self.section else self.source


@dataclass(frozen=True)
class Query:
    """A question made ready for the index: rewritten, split into BM25 terms and embedded once."""

    text: str
    terms: list[str]
    vector: np.ndarray  # what ranking compares: centred on the corpus, unless about_topic
    embedding: np.ndarray  # as the model gives it, for judging whether the corpus covers the question
    pieces: Pieces  # its word pieces in context, for matching sentences word by word
    # The question names nothing but the corpus's topic ("What is a CSO?"): centring would erase
    # all it asks, so it is compared with the vectors as they are.
    about_topic: bool = False
    topic: str = ""  # the topic words the question named and ranking left out
    unfamiliar: tuple[str, ...] = ()  # what it names that the corpus does not write about (`unfamiliar_names`)
    ending: bool = False  # it asks what the documents' ending says (`asks_for_ending`)


@dataclass(frozen=True)
class PieceMatch:
    """How the question's content word pieces match some sentences (`Retriever.piece_match`)."""

    best: np.ndarray  # sentences × question pieces: each piece's best cosine with the sentence's pieces
    weights: np.ndarray  # the question pieces' IDF: rare pieces say more

    @property
    def per_sentence(self) -> np.ndarray:
        """How much of the question each sentence holds, IDF-weighted."""
        if not self.weights.size:
            return np.zeros(len(self.best))
        return self.best @ self.weights / self.weights.sum()

    @property
    def coverage(self) -> float:
        """How much of the question the sentences hold between them: each piece counted where it matches
        best. A question of stop words alone ("And at most?") asks nothing they could hold: 0."""
        if not self.weights.size:
            return 0.0
        return float(self.best.max(axis=0, initial=0.0) @ self.weights / self.weights.sum())


class Retriever:
    def __init__(self, stored: StoredIndex, embedder: Embedder, folder: Path):
        check_model(stored.manifest, embedder, folder)
        self.stored = stored
        self.embedder = embedder
        self.folder = folder
        # Headings are the corpus's words too: "enviroment" is a misspelt "Environment" though only a title says it.
        self.corpus_text = "\n".join([*stored.titles, *(c.text for c in stored.chunks)])
        self.centroid = corpus_centroid(stored.chunk_vectors)
        # A slip is read as the word nearest what the corpus is about: the direction its chunks share.
        self.speller = Speller(
            [self.corpus_text],
            embedder.known_words(),
            english_words(),
            lambda words: embedder.encode(words) @ self.centroid,
        )
        self.corpus_words = self.speller.words
        self.word_forms = WordForms(self.corpus_words, self.speller.known, self._similarity)
        # The topic's long forms of three words or more ("chief security officer"), by its acronym's term.
        self.topic_forms = {
            terms(acronym)[0]: long_form.lower().split()
            for acronym, long_form in stored.acronyms.items()
            if len(long_form.split()) >= 3 and len(terms(acronym)) == 1 and stored.lexical.is_topic(terms(acronym)[0])
        }
        self.topic_acronyms = tuple(a for a in stored.acronyms if terms(a) and terms(a)[0] in self.topic_forms)
        # What the corpus is about, in words: its topic's long forms, else the words every passage shares.
        self.topic_text = " ".join(" ".join(form) for form in self.topic_forms.values()) or " ".join(
            stored.lexical.split_topic(" ".join(dict.fromkeys(WORD_CHARS.findall(self.corpus_text.lower()))))[1]
        )
        self.chunk_vectors = center(stored.chunk_vectors, self.centroid)
        # Ranking compares a question, read without the topic's words, with sentences read so too: "Is the CSO
        # a senior executive?" asks what "A chief security officer (CSO) is one of the most respected
        # executives" says beyond naming the topic.
        self.sentence_vectors = center(stored.sentence_topicless_vectors, self.centroid)
        # Each chunk's sentences laid end to end, so one reduceat finds every chunk's best sentence.
        ranges = [range(*c.sentences) for c in stored.chunks]
        self._members = np.fromiter((i for r in ranges for i in r), dtype=np.int64)
        self._member_starts = np.cumsum([0] + [len(r) for r in ranges[:-1]], dtype=np.int64)
        self.content_pieces = embedder.content_pieces(STOPWORDS)
        self.piece_idf = _piece_idf(stored.sentence_pieces, len(self.content_pieces))
        # Stored as float16 to halve the index; converted once here, not at every question.
        self.piece_vectors = stored.sentence_pieces.vectors.astype(np.float32)
        self.title_piece_vectors = stored.title_pieces.vectors.astype(np.float32)
        title_of = {title: n for n, title in enumerate(stored.titles)}
        self.title_of = np.array([title_of.get(s.section, -1) for s in stored.sentences], dtype=np.int64)

    def _similarity(self, word: str, others: list[str]) -> np.ndarray:
        """Cosine of `word` with each of `others`, every word read alone by the model."""
        vectors = self.embedder.encode([word, *others])
        return vectors[1:] @ vectors[0]

    @classmethod
    def load(cls, index: str | Path = "index", embedder: Embedder | None = None) -> Retriever:
        """Open an index folder; the embedder (default model when None) must be the one that built it."""
        folder = Path(index)
        stored = StoredIndex.load(folder)
        return cls(stored, embedder or Embedder.load(), folder)

    def __len__(self) -> int:
        return len(self.stored.chunks)

    def search(self, question: str, k: int = 5) -> list[Hit]:
        """The k chunks that best match `question`, best first."""
        if k < 1:
            raise CsobotError("k must be at least 1")
        return self.rank(self.query(question), k)

    def query(self, question: str) -> Query:
        """Rewrite the question for the index (`rewrite`) and embed it once. A question naming the
        topic and nothing else besides stop words is kept whole (`Query.about_topic`)."""
        ending = asks_for_ending(question)
        rewritten = self.rewrite(question)
        asking = asked(question)
        if asking != question and not POINTING.search(asking):
            # "I'm thinking about my future career. What does a CSO actually do?" asks what a CSO is; its
            # "thinking" drew the skills' "critical thinking". Not "My cousin wonders if they must speak to
            # crowds. Do they?", which points back at what it says.
            alone = self.rewrite(asking)
            if _about_topic(*alone[1:]):
                rewritten = alone
        question, kept, dropped = rewritten
        unfamiliar = self.unfamiliar_names(question)
        if _about_topic(kept, dropped):
            embedding, pieces = self.embedder.encode_with_pieces([question])
            return Query(
                question,
                terms(question),
                embedding[0],
                embedding[0],
                pieces,
                about_topic=True,
                unfamiliar=unfamiliar,
                ending=ending,
            )
        text = " ".join(kept)
        embedding, pieces = self.embedder.encode_with_pieces([text])
        vector = center(embedding, self.centroid)[0]
        return Query(
            text,
            [t for word in kept for t in terms(word)],
            vector,
            embedding[0],
            pieces,
            topic=" ".join(dropped),
            unfamiliar=unfamiliar,
            ending=ending,
        )

    def unfamiliar_names(self, question: str) -> tuple[str, ...]:
        """What `question`, as `rewrite` gives it, names that the corpus does not write about: names
        (capitalised inside a sentence, or in capitals unless a common English word: "I MUST know") it
        never writes in any form (`is_corpus_word`: "Microsoft", "CISO") nor in other words (`aliases`:
        "PhD" for "doctorate"; nor, in a question naming the topic, an acronym of its kind, `is_kin_acronym`: "Does a
        CSO report to the CFO?"), and kin of its topic (`kin_of_topic`, else `strangers`). A question in
        title case ("What Makes A Good CSO?") capitalises every word: there only words in capitals count;
        one in capitals ("HOW MUCH DOES A CSO MAKE") shows no name by its letters. Statements before a
        question are its preamble, not what it asks about: "I'm from Brazil. What experience do companies
        want?" asks nothing about Brazil."""
        asking = asked(question)
        words = WORD.findall(asking)
        inside = [not before.endswith(SENTENCE_END) for before, word in zip([".", *words], words, strict=False)]
        stop_words = [
            w.strip(PUNCTUATION) for w, mid in zip(words, inside, strict=True) if mid and w.lower() in STOPWORDS
        ]
        title_case = any(w[0].isupper() and w != "I" for w in stop_words)
        shouted = any(w.isupper() and len(w) > 1 for w in stop_words)
        # Beside the topic, another of its kind by acronym is what the topic is set against, as when spelled out
        # (`kin_of_topic`): "Does a CSO report to the CFO?" asks about the CSO.
        beside_topic = self.names_topic(asking)
        unfamiliar = []
        for word, mid in zip(words, inside, strict=True):
            match = NAME.fullmatch(_bare(word))
            name = match and (match.group(1) or match.group(2))
            if not name or not mid or shouted or (title_case and not name.isupper()):
                continue
            if name.isupper() and self.speller.is_common(name):  # "I want to APPLY": emphasis, not a name
                continue
            if not self.is_corpus_word(name.lower()) and not (beside_topic and self.is_kin_acronym(name)):
                unfamiliar.append(name)
        # Kin of the topic are made of the corpus's words; what is strange is their combination. Those a preamble
        # names are who asks, not whom: "As a CEO I'm nervous about overspending. How is our top protection
        # executive supposed to balance outlay against safety?"
        kin = self.kin_of_topic(asking)
        named = (*unfamiliar, *(() if kin else self.strangers(question)))
        return tuple(name for name, alias in zip(named, self.aliases(named), strict=True) if not alias) + kin

    def aliases(self, names: tuple[str, ...]) -> list[bool]:
        """For each of `names`, whether the corpus writes it in other words: each of its word pieces,
        read alone, is as close to a piece of the corpus as a word to its synonym (`ALIAS_SIMILARITY`)."""
        if not names or not len(self.piece_vectors):
            return [False] * len(names)
        return [bool(b.size) and float(b.min()) >= ALIAS_SIMILARITY for b in self._nearest_in_corpus(list(names))]

    def foreign(self, text: str) -> bool:
        """Whether `text` has content words and every one is foreign to the corpus (`FOREIGN_SIMILARITY`)."""
        words = content_words(text)
        if not words or not len(self.piece_vectors):
            return False
        return all(b.size and float(b.max()) < FOREIGN_SIMILARITY for b in self._nearest_in_corpus(words))

    def _nearest_in_corpus(self, words: list[str]) -> list[np.ndarray]:
        """For each of `words`, read alone, each of its word pieces' best cosine with any piece of the corpus."""
        _, pieces = self.embedder.encode_with_pieces(words)
        return [dot(self.piece_vectors, pieces.of(n)[1].astype(np.float32)).max(axis=0) for n in range(len(words))]

    def strangers(self, question: str) -> tuple[str, ...]:
        """Who or what `question` asks about, introduced as "a/an …" or a bare plural where a subject or owner
        stands ("does a nurse earn", "do nurses earn", "the salary of a nurse"), when the corpus never writes
        its words in any form and it is of the topic's kind (a job, in a corpus about a job: `KIN_SIMILARITY`),
        in a question naming nothing of the topic: another of its kind. "Is a bachelor's enough?" names a word
        the corpus has; "What does a newbie earn?" one that is no job. The phrase runs on to the verb when the
        corpus never writes that either ("does a nurse make"): each run up to an unknown word is weighed, and
        each unknown word alone, the head of a compound ("a registered nurse": "registered nurse" reads less
        like a job than "nurse"); the likest is the one asked about."""
        if not self.topic_text or any(self.stored.lexical.is_topic(t) for t in terms(question)):
            return ()
        words = WORD.findall(question.lower())
        runs = []
        for n in range(1, len(words) - 1):
            if words[n - 1].strip(PUNCTUATION) not in SUBJECT_BEFORE:
                continue
            if words[n] in ("a", "an"):
                phrase = _noun_phrase(words[n + 1 :])
            elif words[n].endswith("s") and words[n] not in STOPWORDS:
                phrase = _noun_phrase(words[n:])
            else:
                continue
            unknown = [m for m, word in enumerate(phrase) if not self.is_corpus_word(word)]
            runs.append(
                list(dict.fromkeys([" ".join(phrase[: m + 1]) for m in unknown] + [phrase[m] for m in unknown]))
            )
        if not any(runs):
            return ()
        similarities = self.embedder.encode([run for found in runs for run in found]) @ self.topic_vector
        per_phrase = np.split(similarities, np.cumsum([len(found) for found in runs])[:-1])
        strangers = [
            found[int(np.argmax(likeness))]
            for found, likeness in zip(runs, per_phrase, strict=True)
            if found and likeness.max() >= KIN_SIMILARITY
        ]
        return tuple(strangers)

    @cached_property
    def topic_vector(self) -> np.ndarray:
        return self.embedder.encode([self.topic_text])[0]

    def is_corpus_word(self, word: str) -> bool:
        """Whether the corpus writes `word`: as it is, misspelt, inflected ("executive" for "executives"),
        or cut short ("execs" of "executives")."""
        if self.speller.closest(word) is not None:  # the word itself, or one it misspells
            return True
        if all(t in self.stored.lexical.vocabulary for t in terms(word)):
            return True
        return self.speller.is_clipped(word)

    def names_topic(self, text: str) -> bool:
        """Whether `text` names what the corpus is about: its topic's acronym, where the corpus has one
        (rewriting turns the long form into it: "chief security officer" → "CSO"; "security" alone, as in
        "Certified Information Security Manager", is no name of it), else a word every passage shares."""
        named = set(terms(text))
        return (
            bool(named & self.topic_forms.keys()) if self.topic_forms else any(map(self.stored.lexical.is_topic, named))
        )

    def is_kin_acronym(self, name: str) -> bool:
        """Whether `name` is an acronym shaped like the topic's, first and last letters alike, but another ("CFO"
        in a corpus about the CSO; not "CISO", which is no C?O)."""
        return name.isupper() and any(
            len(name) == len(a) and name != a and name[0] == a[0] and name[-1] == a[-1] for a in self.topic_acronyms
        )

    def kin_of_topic(self, question: str) -> tuple[str, ...]:
        """Phrases of `question` shaped like the topic's long form but naming something else ("chief
        financial officer" in a corpus about the chief security officer), when it does not name the
        topic itself: it asks about another of the topic's kind, which the corpus is not about."""
        named = set(terms(question))
        words = [w.strip(PUNCTUATION).lower() for w in WORD.findall(question)]
        kin = []
        for term, form in self.topic_forms.items():
            if term in named:
                continue
            for start in range(len(words) - len(form) + 1):
                window = words[start : start + len(form)]
                same_ends = window[0] == form[0] and window[-1] in (form[-1], f"{form[-1]}s")
                if same_ends and window[1:-1] != form[1:-1]:
                    kin.append(" ".join(window))
        return tuple(kin)

    def rewrite(self, question: str) -> tuple[str, list[str], list[str]]:
        """The question as the corpus would word it — acronyms the corpus never writes spelled out as it
        does, one term per acronym it defines, misspellings corrected against its vocabulary, earning and
        spending time in idiom put plainly (`EARNING`, `PASSING_TIME`), a day asked about whole as time spent
        (`ROUTINE`), a word the model knows only in pieces in the corpus's form (`WordForms`), a request to sum up the
        documents, or to say what their ending says, as their topic's name (`DOCUMENTS`, `ENDING`) — and its words
        split into those kept and those naming the corpus's topic, dropped since every passage shares them
        (`LexicalIndex.split_topic`), an acknowledgement opening it ("ok,", `ACKNOWLEDGED`), a request opening it
        ("Tell me about"), whom it is for ("…for me?", `FOR_WHOM`), how short an answer is wanted ("in one line",
        `HOW_PUT`), chat's asides ("or nah", `CHATTER`), asking for a description ("look like", `DESCRIBED`),
        setting it where any job is done ("in a company", `SETTING`) or naming the topic's job or how good at it
        ("the job of a CSO", "a good CSO": `_without_role`) in neither. The model runs only on the few words a slip
        or another form may stand for (`Speller`, `WordForms`)."""
        if not question.strip():
            raise CsobotError("the question is empty")
        question = spelled_out(EMPHASIS.sub(r"\1", question), self.corpus_text, self.corpus_words, STOPWORDS)
        question = abbreviated(self.speller.correct(question), self.stored.acronyms)
        question = EARNING_IDIOM.sub(lambda idiom: EARNING[idiom.group(1).lower()], question)
        question = PASSING_TIME.sub(lambda idiom: SPENDING[idiom.group(1).lower()], question)
        if not self.corpus_words & DAYS:
            for idiom, plain in ROUTINE:
                question = idiom.sub(plain, question)
        question = self.word_forms.correct(question)
        content = ACKNOWLEDGED.sub("", question, count=1)
        content = CHATTER.sub("", HOW_PUT.sub("", FOR_WHOM.sub("", REQUEST.sub("", content, count=1))))
        content = SETTING.sub("", DESCRIBED.sub("", WHAT_IS.sub("", content)))
        content = self._without_role(content)
        unexpanded = STANDS_FOR.sub("", content)
        if unexpanded != content and _about_topic(*self.stored.lexical.split_topic(unexpanded)):
            content = unexpanded
        ending = asks_for_ending(question)
        if ending:
            content = SAYING.sub("", DOCUMENTS.sub("", ENDING.sub("", content)))
        rest = DOCUMENTS.sub("", content)
        if (
            self.topic_text
            and (rest != content or ending or WHAT_IS.search(question))
            and not (terms(rest) or POINTING.search(rest))
        ):
            question = content = abbreviated(self.topic_text, self.stored.acronyms)
        return question, *self.stored.lexical.split_topic(content if content.strip() else question)

    def _without_role(self, text: str) -> str:
        """`text` less the job its topic names beside it (`ROLE_OF`, `HELD_ROLE`) and how good at it (`GOOD_ONE`)."""

        def held(m: re.Match) -> str:
            if not self.names_topic(m.group("holder")) or (m.group("article") and not m.group("owner")):
                return m.group(0)
            return f"{m.group('article') or ''}{m.group('holder')}"

        def good(m: re.Match) -> str:
            if MADE.search(m.string, 0, m.start()) or not self.names_topic(m.group("holder")):
                return m.group(0)
            return ""

        text = ROLE_OF.sub(lambda m: "" if self.names_topic(m.group("of")) else m.group(0), text)
        return HELD_ROLE.sub(held, GOOD_ONE.sub(good, text))

    def sentence_scores(self, query: Query) -> np.ndarray:
        """Cosine similarity of the question with every sentence of the index, both read without the
        topic's words unless the question names nothing else."""
        sentences = self.stored.sentence_vectors if query.about_topic else self.sentence_vectors
        return sentences @ query.vector

    def chunk_scores(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """Dense and lexical scores of every chunk. Dense is exact for the FAISS candidates and
        for BM25's, the only chunks whose score can matter; the rest get -1."""
        lexical = self.stored.lexical.scores(query.terms)
        n = len(self.stored.chunks)
        if query.about_topic:  # the FAISS index holds centred vectors
            return self.stored.chunk_vectors @ query.vector, lexical
        if n <= DENSE_CANDIDATES:
            return self.chunk_vectors @ query.vector, lexical
        found_scores, found = self.stored.dense.search(query.vector[None, :], DENSE_CANDIDATES)
        dense = np.full(n, -1.0, dtype=np.float32)
        lexical_top = np.argpartition(-lexical, DENSE_CANDIDATES)[:DENSE_CANDIDATES]
        dense[lexical_top] = self.chunk_vectors[lexical_top] @ query.vector
        keep = found[0] >= 0
        dense[found[0][keep]] = found_scores[0][keep]
        return dense, lexical

    def piece_match(self, query: Query, sentences: np.ndarray) -> PieceMatch:
        """Soft word overlap of each of `sentences` with the question: for every content word piece
        of the question, its best cosine with any piece of the sentence, both read in context. It
        credits "salary" for "pay" where terms need the same stem, and unlike one vector per sentence
        it cannot be carried by the words every sentence shares."""
        question, weights = self._content_pieces(query)
        return PieceMatch(_best_cosines(self.stored.sentence_pieces, self.piece_vectors, sentences, question), weights)

    def coverage(self, query: Query, sentences: np.ndarray, match: PieceMatch | None = None) -> float:
        """How much of the question `sentences` and their headings hold between them (`PieceMatch.coverage`,
        `match` when it is theirs already): "What is the work environment like?" asks what a section
        headed "Work Environment" says, in sentences that never write "environment"."""
        if match is None:
            match = self.piece_match(query, sentences)
        titles = np.unique(self.title_of[sentences])
        titles = titles[titles >= 0]
        question, _ = self._content_pieces(query)
        headings = _best_cosines(self.stored.title_pieces, self.title_piece_vectors, titles, question)
        return PieceMatch(np.vstack([match.best, headings]), match.weights).coverage

    def _content_pieces(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of the question's content word pieces, and their IDF."""
        ids, vectors = query.pieces.of(0)
        content = self.content_pieces[ids]
        return vectors[content].astype(np.float32), self.piece_idf[ids[content]]

    def rank(self, query: Query, k: int) -> list[Hit]:
        """The k chunks that best match `query`, best first."""
        return self.ranking(query, k).hits

    def ranking(self, query: Query, k: int) -> Ranking:
        """`rank`, with the word-piece match it computed on the way, so that it need not be computed again."""
        sentence_scores = self.sentence_scores(query)
        dense, lexical = self.chunk_scores(query)
        best_sentence = np.maximum.reduceat(sentence_scores[self._members], self._member_starts)
        fused = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical + SENTENCE_WEIGHT * best_sentence
        # The best chunks by that are matched word piece by word piece too, a finer and costlier signal.
        shortlist = min(max(k, RERANK_CANDIDATES), len(fused))
        top = np.argpartition(-fused, shortlist - 1)[:shortlist]
        ranges = [range(*self.stored.chunks[i].sentences) for i in top]
        sentences = np.fromiter((j for r in ranges for j in r), dtype=np.int64)
        match = self.piece_match(query, sentences)
        best_match = np.maximum.reduceat(match.per_sentence, np.cumsum([0] + [len(r) for r in ranges[:-1]]))
        scores = (fused[top] + PIECE_WEIGHT * best_match) / (1 + SENTENCE_WEIGHT + PIECE_WEIGHT)
        order = np.argsort(-scores, kind="stable")[: min(k, len(fused))]
        chunks = self.stored.chunks
        hits = [
            Hit(
                text=chunks[i].text,
                score=float(score),
                source=chunks[i].source,
                section=chunks[i].section,
                start=chunks[i].start,
                end=chunks[i].end,
                chunk=int(i),
                dense=float(dense[i]),
                lexical=float(lexical[i]),
            )
            for i, score in zip(top[order], scores[order], strict=True)
        ]
        return Ranking(hits, sentences, match)


@dataclass(frozen=True)
class Ranking:
    """The hits of `Retriever.ranking`, and the word-piece match of every sentence of the chunks it weighed."""

    hits: list[Hit]
    sentences: np.ndarray  # the sentences matched: those of the shortlisted chunks, the hits' among them
    match: PieceMatch  # row i for sentences[i]

    def match_of(self, sentences: np.ndarray) -> PieceMatch:
        """The match of some of the hits' sentences."""
        row = dict(zip(self.sentences.tolist(), range(len(self.sentences)), strict=True))
        return PieceMatch(self.match.best[[row[int(i)] for i in sentences]], self.match.weights)


def _best_cosines(pieces: Pieces, vectors: np.ndarray, texts: np.ndarray, question: np.ndarray) -> np.ndarray:
    """texts × question pieces: each question piece's best cosine with a piece of each of `texts` (rows of
    `pieces`, whose float32 `vectors` are given), 0 for a text with none."""
    best = np.zeros((len(texts), len(question)), dtype=np.float32)
    starts, ends = pieces.offsets[texts], pieces.offsets[texts + 1]
    read = ends > starts  # a text of symbols the tokenizer does not know has no pieces
    if len(question) and read.any():
        starts, ends = starts[read], ends[read]
        rows = np.concatenate([np.arange(a, b) for a, b in zip(starts, ends, strict=True)])
        similarity = dot(vectors[rows], question)  # pieces × question's
        best[read] = np.maximum.reduceat(similarity, np.cumsum(ends - starts) - (ends - starts), axis=0)
    return best


def _piece_idf(pieces: Pieces, vocabulary: int) -> np.ndarray:
    """IDF of every word piece over the sentences (BM25's formula): rare pieces say more."""
    owner = np.repeat(np.arange(len(pieces)), np.diff(pieces.offsets))
    pairs = np.unique(owner * vocabulary + pieces.ids.astype(np.int64))
    df = np.bincount(pairs % vocabulary, minlength=vocabulary)
    return np.log1p((len(pieces) - df + 0.5) / (df + 0.5))


def _about_topic(kept: list[str], dropped: list[str]) -> bool:
    """Whether a question split into words `kept` and `dropped` (`Retriever.rewrite`) names the topic and nothing
    else besides stop words and modals: it asks about the topic as a whole."""
    return bool(dropped) and not {t for word in kept for t in terms(word)} - MODALS


def content_words(text: str) -> list[str]:
    """The words of `text` that are no stop words, bare of punctuation."""
    return [word for word in (w.strip(PUNCTUATION) for w in WORD.findall(text)) if terms(word)]


def _noun_phrase(words: list[str]) -> list[str]:
    """The words opening `words` up to a stop word, punctuation or an owner's "'s" (kept: "a nurse's")."""
    phrase = []
    for word in words:
        bare = _bare(word)
        if not bare or bare in STOPWORDS:
            break
        phrase.append(bare)
        if bare != word:
            break
    return phrase


def asks_for_ending(question: str) -> bool:
    """Whether `question` asks what the documents' ending says (`ENDING`): naming it, or the documents themselves
    (`DOCUMENTS`) with "at the end"."""
    found = ENDING.search(question)
    return found is not None and (found.group("named") is not None or DOCUMENTS.search(question) is not None)


def asked(question: str) -> str:
    """`question` without the statements around its questions (ending in "." or "!"), if it asks any."""
    return _split_statements(question)[0]


def stated(question: str) -> str:
    """The statements around `question`'s questions: what `asked` leaves out."""
    return _split_statements(question)[1]


def _split_statements(question: str) -> tuple[str, str]:
    parts = STATEMENT_BREAK.split(question.strip())
    if not any(p.endswith("?") for p in parts):
        return question, ""
    # Typed without its full stop, what the asker says of themselves after a question is a statement all the same:
    # "what degree i need? i am from Brazil" asks nothing of Brazil.
    said = [
        p.endswith((".", "!"))
        or (not p.endswith("?") and (FIRST_PERSON.match(p) or SMALL_TALK.fullmatch(p)) is not None)
        for p in parts
    ]
    return (
        " ".join(p for p, statement in zip(parts, said, strict=True) if not statement),
        " ".join(p for p, statement in zip(parts, said, strict=True) if statement),
    )


def _bare(word: str) -> str:
    """`word` without the punctuation around it or an owner's "'s"."""
    return word.strip(PUNCTUATION).removesuffix("'s").removesuffix("’s")
