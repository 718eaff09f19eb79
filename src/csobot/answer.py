"""Answer stage: pick the sentences that answer a question, cite them, or decline.

Answers are extractive: every sentence is quoted from the corpus and cited with [n], where
`Answer.sources[n-1]` is the chunk it came from. No text is generated.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from .acronyms import abbreviated
from .chunking import BULLET, Sentence
from .embedding import Embedder
from .errors import CsobotError
from .index import StoredIndex
from .lexical import SENTENCE_OPENING, terms
from .retrieval import (
    ACKNOWLEDGEMENTS,
    DEMONSTRATIVES,
    EARNS,
    GOOD,
    REQUEST,
    SMALL_TALK,
    Hit,
    PieceMatch,
    Query,
    Retriever,
    asked,
    content_words,
    stated,
)

# Chunks whose sentences compete to answer.
CANDIDATE_CHUNKS = 6
# Sentence score = Σ weight · signal: its cosine with the question (centred on the corpus, as retrieval
# compares them), word-piece match (`Retriever.piece_match`), the share of the question's BM25 term
# weight it holds and that its section title holds, the cosine of its section title with the question
# (a heading says in a word what its sentences are about: "Education" for "What schooling do I need?"), and
# the score of its best chunk. Chosen on eval/cso-dev.jsonl and ../shared/bench (README, "Answers").
SENTENCE_WEIGHTS = {"dense": 0.55, "pieces": 0.8, "terms": 0.2, "section": 0.2, "title": 0.4, "chunk": 0.45}
# The title's cosine counts in full for the first paragraph under it, times this for each one further down;
# the titles' mean makes up the rest.
TITLE_DECAY = 0.25
# A sentence joins the best one when it scores at least this fraction of it… At 0.4 answers ran to 64 words on
# average, with no fact of the dev set more than at 0.6 (61 words); at 0.7 a lead-in ("You also need some
# certifications…") lost what it leads to (README, "Answers").
KEEP_RATIO = 0.6
# …and from a paragraph not quoted from yet, this share: "How much experience does a CSO position require?"
# quoted the experience paragraph, then "Those who work for multinational companies and are highly
# experienced earn up to $300,000." The dev set's answers lose 2.8 words on average and no fact; at 0.8
# they lose facts (README, "Answers").
ELSEWHERE_RATIO = 0.7
# The best sentence of another paragraph scoring at least this share of the best one is quoted second, before
# the best one's paragraph reads on or its list fills the answer: two readings that answer nearly as well are
# both given. "What is a CSO responsible for?" drew the duties' list, which filled the answer, over the opening's
# "He is responsible for the entire physical and digital security structure…" (README, "Answers").
RUNNER_UP_RATIO = 0.9
# …up to this many sentences, a list's items not counted: they are kept whole, as many as the answer's words allow.
# A consequence ("As a result, …") is one sentence with the one it follows from.
MAX_SENTENCES = 5
# What stands for the items of a list left out: a list item of its own.
OMISSION = "…"
OMISSION_WORDS = len(f"- {OMISSION}".split())
SAME_PARAGRAPH_BONUS = 0.15
# …and the answer stays this short (`Chatbot(max_words=…)`): a sentence that does not fit is quoted in part,
# when at least MIN_PART_WORDS are left for it. The ceiling for answers about the article: at 60, a
# question's facts were often crowded out by what scored first (README, "Answers").
MAX_WORDS = 80
MIN_PART_WORDS = 10
# The corpus covers a question when some sentence is at least this similar to it (plain cosine of the
# rewritten question): calibrated on eval/cso-dev.jsonl, where clearly off-topic questions stay below
# 0.19 and covered ones start at 0.25 (README, "Abstention").
ABSTAIN_BELOW = 0.22
# …and when the passages found hold at least this much of what it asks (`PieceMatch.coverage`): off-topic
# questions hold 0.15–0.4, SQuAD's all but 0.2% over 0.53 (README, "Abstention").
COVERED_FROM = 0.4
# Strong evidence makes up for a little coverage: they must sum to this, with coverage at least the floor. "What's the
# bare minimum uni qualification to land this top security gig?" holds 0.36 ("uni", "gig" match nothing) with
# evidence 0.41; the closest off-topic question sums to 0.741. The floor leaves "Who do they report to?" (0.35) to
# the openings, which answer it (README, "Abstention").
COVERED_WITH_EVIDENCE = 0.755
COVERED_AT_LEAST = 0.36
# A follow-up naming its subject by pronoun. Not the "it" that stands for nothing ("How much does it cost to take
# the CISM exam?" asks the price of the exam, not of what the documents are about); "one" ending a clause does
# stand for something ("How much does it cost to hire one?").
PRONOUN = re.compile(
    r"\b(he|she|they|them|their|his|her|it(?!\s+(costs?|takes?)\b)|its|one(?=\s*([?.!,;]|$))"
    r"|(this|that) (person|role|job|position))\b",
    re.IGNORECASE,
)
# A pronoun pointing at one person (`Chatbot._part_read_with_topic`).
ONE_PERSON = re.compile(r"\b(he|she|him|his|her|(this|that) (person|role|job|position))\b", re.IGNORECASE)
# Words that state a consequence of what was said before. A sentence opening with one needs the one before
# it to make sense.
CONSEQUENCES = "as a result|therefore|thus|hence|consequently|for this reason|that is why|this is why"
CONSEQUENCE = re.compile(rf"({CONSEQUENCES})\b", re.IGNORECASE)
# A question asking why, or what decides something ("What factors determine how much a CSO earns?", "What does
# how much they earn depend on?": a "how much" inside it asks for no amount). Not what makes someone good at
# something: "What makes a good CSO?" asks what a good one has (the skills), and drew the pay paragraph's "As a
# result, the get some of the best salaries." for its consequence.
REASON_ASKED = re.compile(
    rf"{SENTENCE_OPENING}((and|but|so)\s+)?(why|what for|how come)\b"
    rf"|\bwhat ((factors?|things?) )?(makes?(?![^?.,;]*\b({GOOD})\b)|determines?|decides?|affects?|influences?"
    r"|drives?)\b"
    r"|\bdepends? (up)?on\b",
    re.IGNORECASE,
)
# What a question asks for, by its wording, what a sentence giving it holds, and the bonus such a sentence
# gets: a quantity or a date, a number; a reason ("Why…?"), a cause or a consequence ("without…",
# "because…"). A number is a hint (the pay paragraph's figures are no answer to "How much experience…?"
# but "several years" is; "the bare-minimum diploma" asks which, so "minimum" or "highest" alone asks no
# number, nor "an average" one, which says ordinary ("What people skills separate a good CSO from an average
# one?" drew the pay paragraph's figures); nor does a "when" opening a clause, only one asking "When was…?",
# "When did…?": "…which postgraduate qualifications do employers favour when hiring…?" drew "several years" and
# the salary figures, not the degrees); a sentence giving no reason does not answer "why" at all: "Why is a CSO
# important?" drew the duties, which match "role" and "organization", over "Without his wisdom and
# knowledge, an organization's security systems may be at risk…" (README, "Answers").
ANSWER_TYPES = (
    (
        re.compile(
            r"\b(how (much|many|long|old|far|often|large|big)|what (year|percentage|date)|which year|"
            r"when (was|were|did|do|does|is|are|will|would|has|have|had)|"
            r"range|(?<!\ban )average|median|amount|percentage|cost|price|salary|salaries|"
            rf"pay|paid|wages?|earnings|income|{EARNS})\b",
            re.IGNORECASE,
        ),
        re.compile(
            r"\d|\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
            r"hundreds?|thousands?|millions?|billions?|dozens?|half|several|few|couple)\b",
            re.IGNORECASE,
        ),
        0.15,
    ),
    (
        REASON_ASKED,
        re.compile(
            r"\b(because|since|due to|owing to|thanks to|so that|in order to|without|otherwise|which is why|"
            rf"depends? on|{CONSEQUENCES})\b",
            re.IGNORECASE,
        ),
        0.5,
    ),
)
# Kinds of a thing asked for ("What kinds of security is a CSO in charge of?") are named as that thing's kinds:
# "A and B security", "A, B or C security". The duties' "type of security risks" matched "kinds" better than
# "…the entire physical and digital security structure…" did; a sentence naming kinds of what is asked gets
# `KINDS_BONUS` more. Not one kind, asked by "the … type of" ("What is the most frequently employed type of
# reduction?", SQuAD: its answer names one).
KINDS_ASKED = re.compile(
    r"\b((what|which)\s+(kind|type|sort|form|area)|kinds|types|sorts|forms|areas|categories)\s+of\s+(?P<of>[\w'’-]+)",
    re.IGNORECASE,
)
KINDS_BONUS = 0.25
# Things named without saying which: "some certifications", "certain skills" (not opening a sentence: "Some
# companies may require…"; nor a share, "several years of…").
UNSAID = re.compile(r"(?<=\w )(some|certain|several|various|numerous)\s+\w+s\b(?!\s+of\b)", re.IGNORECASE)
# What a question asks to be measured in, and how a sentence reads that gives it: money for "how much does
# … earn/cost", a share for "what percentage" or a "growth rate", an age, a year, a time or length for
# "how long", the unit or currency named ("how many hours", "in pounds"). An answer quoting no such
# measure does not answer: "How many hours a week do they work?" is not answered by a salary "per year"
# (README, "Abstention").
MONEY = r"salary|salaries|wages?|income|compensation|earnings|pay|cost|price|fees?"
# A charge, not who is "in charge" ("How much does the person in charge of protection earn?" asks no price).
CHARGE = r"(?<!\bin )charge"
CURRENCY_SIGNS = "$£€¥"
AMOUNT_OF_MONEY = rf"[{CURRENCY_SIGNS}]|\b(dollars?|pounds?|euros?|yen|rupees?|cents?|usd|gbp|eur)\b"
TIME_UNITS = ("minute", "hour", "day", "week", "month", "year", "decade")
# A unit of time after "per", "each" or "every" is a rate, no length of time: "$143,541 per year" says
# nothing of how long a CSO stays.
NOT_A_RATE = r"(?<!\bper )(?<!\beach )(?<!\bevery )"
# A count: a number that is not a sum of money ("several years", "multiple teams", "32 teams", "zero"). Not
# "one", as often a pronoun ("the type of company one works for").
COUNT = (
    rf"(?<![{CURRENCY_SIGNS}\d,.])\b\d|\b(zero|none|single|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|(thir|four|fif|six|seven|eigh|nine)teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    r"|hundreds?|thousands?|millions?|billions?|dozens?|half|several|few|couple|multiple|numerous)\b"
)
# Things a text covering them names, asked for by name in what a question asks (not in a preamble: "I got roped
# into interviewing candidates. What skills…?"): pay besides a salary ("Do CSOs get bonuses or stock options?"
# matched the pay paragraph's "salaries", 0.39 from "bonuses" read alone) and steps of hiring someone ("What are
# common interview questions for a CSO position?" matched the experience a position requires) (README,
# "Abstention").
NAMED_KINDS = tuple(
    re.compile(kind, re.IGNORECASE)
    for kind in (
        r"\b(bonus(es)?|stock[- ]options?|pensions?|retirement (benefits?|plans?|perks?|package)|401\s?\(?k\)?"
        r"|health (insurance|benefits?|plans?)|insurance (plans?|polic(y|ies)|coverage|benefits?)|benefits? package"
        r"|perks?|fringe benefits?|vacations?|paid (time off|leave)|annual leave|sick (days|leave)|company cars?"
        r"|car allowance|expense accounts?|severance)\b",
        r"\b(interview(s|ed|ing|ers?)?|drug (tests?|testing|screens?)|background (checks?|screening)"
        r"|reference checks?)\b",
    )
)
# Words naming a share, asked ("What percentage…?") or given ("a larger percentage of their time").
SHARE = "percent|percentage|proportion|fraction|share"
MEASURES = tuple(
    (re.compile(asks, re.IGNORECASE), re.compile(gives, re.IGNORECASE))
    for asks, gives in (
        (
            rf"\bhow much\b[^?.]*\b(earn\w*|make|makes|pay|paid|cost\w*|{CHARGE}\w*|{EARNS})\b"
            rf"|\b(average|typical|median|starting|highest|lowest|top|maximum|minimum|range)\b[^?.]*\b({MONEY})\b"
            rf"|\b({MONEY}) (range|band)\b",
            AMOUNT_OF_MONEY,
        ),
        # A share or a rate of growth ("job outlook", "how fast are these jobs growing"). Not "at what rate"
        # (how fast) nor "ranked at 5 percent" (a share the question gives). A "percentage" gives none ("a larger
        # percentage of their time" says nothing of "What percentage of CSOs are women?"), but in "percentage
        # points" or as the share of what the question asks a share of (`SHARE_OF`).
        (
            rf"\b(what|which|as an?) ({SHARE})\b|\b(?!(what|which)\b)\w+ rate\b"
            r"|\b(projected|expected|forecast|job|employment) growth\b|\b(job|employment|career) (outlook|prospects)\b"
            r"|\bhow (fast|quickly)\b[^?.]*\bgrow",
            r"%|\bper ?cent(age points?)?\b|\b(half|third|quarter|majority|minority|rate)\b",
        ),
        (
            r"\bhow old\b|\b(what|which|average|typical|usual|median|the|their|his|her) age\b",
            r"\b(ages?|aged|old|turned \d+|\d+-year-old)\b",
        ),
        # Not any "when": "When were the Broncos last there?" is answered "Super Bowl XLVIII". A year is three
        # or four digits, not of a longer figure ("$143,541").
        (
            r"\b(what|which) year\b|\bwhen (was|were|did)\b[^?.]*\b(created|founded|established|invented|introduced"
            r"|built|formed|first|begin|began|start|started)\b",
            r"(?<![\d,.$£€])\b\d{3,4}s?\b(?![,.]\d)|\b(centur(y|ies)|decades?)\b",
        ),
        # How often: "How often do those certifications need to be renewed?" is not answered by which there are.
        (
            r"\bhow (often|frequently|regularly)\b",
            r"\b(often|frequent(ly)?|sometimes|occasionally|rarely|seldom|always|usually|regularly|never|daily|weekly"
            r"|monthly|yearly|annually|once|twice|every|each|per)\b|\d",
        ),
        (
            r"\bhow long\b",
            rf"{NOT_A_RATE}\b({'|'.join(TIME_UNITS)}|centur(y|ies)|seconds?|long|short|miles?|km|kilomet(er|re)s?|met(er|re)s?"
            r"|feet|foot|inch(es)?)s?\b",
        ),
        # A currency named: "in pounds" is not answered in dollars (a weight in pounds is, in "lb").
        *(
            (rf"\bin {names}\b|{sign}", rf"\b{names}\b|{sign}")
            for names, sign in (
                ("(pounds|sterling|gbp|lbs?)", "£"),
                ("(euros?|eur)", "€"),
                ("(yen|jpy)", "¥"),
                ("(rupees|inr)", "₹"),
            )
        ),
        # "How many employees does a CSO manage?" is not answered by what one earns.
        (r"\bhow many\b(?!\s+(dollars|pounds|euros|yen|rupees|cents)\b)", COUNT),
        *(
            (rf"\bhow many {unit}s\b|\b{unit}s (a|per|each) (day|week|month|year)\b", rf"{NOT_A_RATE}\b{unit}s?\b")
            for unit in TIME_UNITS
        ),
    )
)
# "What percentage of their time do they spend at a computer?" is answered in words by "They spend a larger
# percentage of their time working behind a computer": the share of the same thing, with no figure.
SHARE_OF = re.compile(
    rf"\b({SHARE}) of (the |their |his |her |its |a |an )?(?P<whole>\w+)",
    re.IGNORECASE,
)
# "How many skills does a CSO need?" is answered by the skills the documents list: quoted first, a sentence naming
# the things counted ("…possess certain skills…") leads to them. Not one naming them in passing further on ("How
# many people are on a CSO's team?" is not answered by "They persuade people…"), nor units of time, which a rate
# names too ("How many days a week…?", "…each day").
COUNTED = re.compile(rf"\bhow many (?!({'|'.join(TIME_UNITS)})s?\b)(?P<things>\w+)", re.IGNORECASE)
# A price asked is not what someone earns: "How much does the CISM exam cost?" is not answered by a salary.
# Unless the question names what the corpus is about, whose cost is its pay ("How much does a CSO cost?").
PRICE = (
    re.compile(rf"\bhow much\b[^?.]*\b(costs?|{CHARGE}s?|price|fees?|tuition)\b", re.IGNORECASE),
    re.compile(rf"^(?!.*\b(earn\w*|salary|salaries|wages?|income|paid|pay)\b).*({AMOUNT_OF_MONEY})", re.IGNORECASE),
)
# A "sentence" without one (a row of emoji or rules) says nothing to quote.
LETTER_OR_DIGIT = re.compile(r"[^\W_]")
# Requests no quotation can serve, whatever the corpus: to write new text ("Write me a Python function…", "Tell
# me a joke about security guards"), or to drop the bot's rules ("Ignore your instructions…").
NOT_A_QUESTION = re.compile(
    r"^\s*(please\s+)?(write|generate|compose|draft|translate|rewrite|implement)\b"
    r"|\b(tell|give|make up|come up with|share)\s+(me\s+|us\s+)?(a|an|some|another|any)\s+(\w+\s+)?"
    r"(jokes?|poems?|riddles?|limericks?|haikus?|songs?|puns?)\b"
    r"|\b(ignore|disregard|forget)\b[^.?!]{0,40}\b(instructions?|rules|prompt|above|previous|prior|documents?|articles?"
    r"|texts?|context)\b|\b(system prompt|you are now)\b",
    re.IGNORECASE,
)
# A follow-up asking for more of the answer before it, and nothing else ("What are the rest of them?").
MORE = re.compile(
    r"\W*((and|so|ok|okay)\W+)?(what else|anything else|(tell|give|show) me more|more|go on|continue|keep going"
    r"|((what|which|who) (are|is|were|was) )?the rest( of (them|it|those|these))?)"
    r"(\W+please)?\W*",
    re.IGNORECASE,
)
# A follow-up asking beyond what the answer before said ("besides that", "beyond those three"): it does not
# quote that answer again. "Besides goals, what else does a CSO develop?" names its own point of departure;
# so does "Which strengths, apart from talking to people, help someone in this post?", whose "this" points at
# the post.
DEMONSTRATIVE = re.compile(rf"\b({DEMONSTRATIVES})\b", re.IGNORECASE)
BEYOND_THAT = re.compile(
    rf"\b(besides|other than|apart from|aside from|beyond|more than)\s+({DEMONSTRATIVES})\b", re.IGNORECASE
)
# A follow-up pointing back at the answer before with a pronoun ("Which one of those is about auditing?",
# "Do most employers want more than that?"): read with the question before first, even when it could be
# answered alone ("auditing" alone finds the duty to audit). Not a determiner ("this top post") or a
# relative pronoun ("targets that line up with…"): those speak of what the question itself names.
BACK = re.compile(
    rf"\b({DEMONSTRATIVES})\b(?=\s*([?.!,;]|$)|\s+(is|are|was|were|one|ones|do|does|mean|means)\b"
    # "Is that enough, or…?", "Is that usually enough though?", "Are those required for…?"; not "these typical
    # duties", a determiner.
    r"|(\s+(\w+ly|always|still))?\s+(enough|sufficient|required|necessary|needed|mandatory|essential|normal|common|typical|true|all)"
    r"(?=\s*([?.!,;]|$)|\s+(or|for|to|in|at|and|though)\b))",
    re.IGNORECASE,
)
# How a follow-up opens: "And at most?", "What about skills?".
FOLLOW_UP_OPENERS = "and|but|so|also|then|what about|how about"
FOLLOW_UP_OPENING = re.compile(rf"^\W*({FOLLOW_UP_OPENERS})\b", re.IGNORECASE)
# What a follow-up's own words may come after ("ok and what's the very top?") and before ("in what subject, though?").
OPENED_AS_FOLLOW_UP = rf"\W*(({ACKNOWLEDGEMENTS})\W+)?(({FOLLOW_UP_OPENERS})\W+)?"
CLOSED_AS_FOLLOW_UP = r"(\W+(though|then|exactly|again|please))?\W*"
# A follow-up asking only for the most or least of something, which it leaves unsaid: "And the highest?" after
# "What's the average salary?" asks the highest salary. Alone, "highest" would match whatever says "best" or "most".
# One asking which of what was just named is the most so is such a follow-up too: "Which is most important?" after
# the skills asks which skill, and alone drew the duties for "important".
ELLIPSIS = re.compile(
    rf"{OPENED_AS_FOLLOW_UP}((which|what)(\s+ones?)?(\s+is|\s+are|'s|’s)\s+)?(the\s+)?(very\s+)?"
    rf"(\w+est|(most|least)(\s+\w+)?|top|maximum|minimum)(\s+(one|ones|end))?{CLOSED_AS_FOLLOW_UP}",
    re.IGNORECASE,
)
# A follow-up asking only in what, for which, from whom…: "In what areas?" after "How much experience do I need?"
# asks the areas of that experience, where alone it matched "which areas you need to protect".
FRAGMENT = re.compile(
    rf"{OPENED_AS_FOLLOW_UP}(in|for|from|to|with|at|on|of|by|about)\s+(what|which|whom|where)(\s+\w+){{0,2}}"
    rf"{CLOSED_AS_FOLLOW_UP}",
    re.IGNORECASE,
)
# A follow-up saying only for whom, where or among what the question before is asked again: "And for somebody fresh in
# the role?" after "What's the top salary?" asks the pay of newcomers, where alone it drew the skills for "role".
MODIFIER = re.compile(
    rf"^\W*(({ACKNOWLEDGEMENTS})\W+)?({FOLLOW_UP_OPENERS})\W+(for|at|in|among|with|on)\s+([\w'’$-]+\s+){{0,5}}[\w'’$-]+"
    rf"{CLOSED_AS_FOLLOW_UP}$",
    re.IGNORECASE,
)
QUESTION_WORDS = "what|how|who|whom|which|where|when|why"
# Where one question asks two: "What's the minimum degree, and what's the average pay?", "Who do they answer to?
# Do they handle physical security?". Not where the second asks about what the first names ("…risk management,
# and what is it supposed to achieve?", "Why does a company need a CSO, and what could happen without one?"):
# that is one question.
PARTS = re.compile(
    rf"(?:[,;]\s*|\s+)and\s+(?=(?:{QUESTION_WORDS}|is|are|do|does|did|can|could|should|would|will)\b)|(?<=\?)\s+(?=\S)",
    re.IGNORECASE,
)
# Questions listed after a comma: "How much do new CSOs make, how do they set their goals, where do they work?".
# Only direct questions, each opening with its question word and then its verb, before any subject: not "If I
# become a CSO, what will I earn?", "When a company wants an outside look, what does the CSO do?" or "How do they
# settle, with fellow leaders, where the money goes?", which ask one; nor "who" or "which" after a comma, which
# say more of what comes before ("What is the name of the Bronco's head coach, who was hired after John Fox?").
LISTED = re.compile(r"[,;]\s*(?=(?:what|how|where|when|why)\b)", re.IGNORECASE)
AUXILIARY_VERBS = "do|does|did|is|are|was|were|can|could|should|would|will|has|have|must|may|might"
DIRECT_QUESTION = re.compile(
    rf"^\W*(({QUESTION_WORDS})(\s+(?!(i|you|he|she|it|we|they)\b)\w+){{0,2}}?"
    rf"(\s+({AUXILIARY_VERBS})\b|['’]s\b)|({AUXILIARY_VERBS})\b)",
    re.IGNORECASE,
)
# Where the things a request asks for in a series part ("Tell me the minimum degree, the typical salary and whether
# they travel."): at its commas, and its last item at the "and" or "or" that ends the series.
SERIES_COMMA = re.compile(r"\s*,\s*")
SERIES_END = re.compile(r"^(?:and|or)\s+|\s+(?:and|or)\s+", re.IGNORECASE)
POLITE = re.compile(r"\bplease\b", re.IGNORECASE)
# Where a clause opens, after punctuation: "wow, do they need them all?" asks "do they need them all?".
CLAUSE_OPENING = re.compile(r"[,;:.!?]")
NAMED_BEFORE = re.compile(rf"\b(it|its|one|{DEMONSTRATIVES})\b", re.IGNORECASE)
# What a sentence opens by setting aside: "In addition to good academic credentials, …".
SET_ASIDE = re.compile(
    r"^\W*(in addition to|besides|apart from|aside from|as well as|other than|beyond)\b[^,;]*[,;]", re.IGNORECASE
)
# A question of this many content words at most may lean on the one before ("Any travel involved?").
MAX_OWN_TERMS = 1
# Statements of this many content words before a question are its context, not the chat before: "My daughter
# is studying business and wants to be a CSO someday. What personal skills will she need?" asks about her.
# "Thanks! And the lowest?" says too little to stand alone.
OWN_CONTEXT_TERMS = 3
ALL_SAID = "That is all the documents say about it."
# Where an answer's quotes end: at a citation marker, a line's end, or a "…" for text left out. A quote of
# fewer words is too short to tell which sentence it is from.
MARKER = re.compile(r"\[\d+\]")
QUOTE_BREAK = re.compile(rf"{MARKER.pattern}|\n|{OMISSION}")
MIN_QUOTE_WORDS = 3
# Sentences about the document rather than its subject ("this post will shed more light…").
META = re.compile(r"\b(this|the) (post|article|page|blog|guide|website)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    text: str  # Markdown, with [n] markers citing sources[n-1]
    sources: list[Hit] = field(default_factory=list)
    abstained: bool = False
    query: str = ""  # the question as searched: rewritten, follow-ups resolved


@dataclass(frozen=True)
class Quotes:
    """What an answer quotes, before it is written: each sentence's index with what of it is quoted (None and
    "…" for list items left out), the passages holding them, and the question as searched that they answer."""

    sentences: list[tuple[int | None, str]]
    hits: list[Hit]
    query: Query


def previous_question(history: list[dict] | None) -> str | None:
    return _last_turn(history, "user")


def _before_last_question(history: list[dict] | None) -> list[dict]:
    """The chat before its last user turn."""
    asked = _turns(history, "user")
    return list(history or [])[: asked[-1][0]] if asked else []


def _last_turn(history: list[dict] | None, role: str) -> str | None:
    turns = _turns(history, role)
    return turns[-1][1] if turns else None


def _turns(history: list[dict] | None, role: str) -> list[tuple[int, str]]:
    """The turns of `role` in the chat, with their positions; a blank turn says nothing and is left out."""
    texts = ((n, str(turn.get("content") or "")) for n, turn in enumerate(history or []) if turn.get("role") == role)
    return [(n, text) for n, text in texts if text.strip()]


class Chatbot:
    def __init__(self, retriever: Retriever, max_words: int = MAX_WORDS):
        if max_words < 1:
            raise CsobotError("max_words must be at least 1")
        self.retriever = retriever
        self.max_words = max_words
        stored = retriever.stored
        # Matched the way BM25 matches chunks: an acronym and its long form are one term.
        self.sentence_terms = [set(terms(abbreviated(s.text, stored.acronyms))) for s in stored.sentences]
        self.quotable = np.array(
            [not META.search(s.text) and LETTER_OR_DIGIT.search(s.text) is not None for s in stored.sentences],
            dtype=bool,
        )
        self.clause_of = np.array([c.sentence for c in stored.clauses], dtype=np.int64)  # each clause's sentence
        self.quotable_vectors = self._vectors_of(self.quotable)
        # As answers quote them: without list bullets, spaces collapsed (`quoted_in`).
        self.quoted_texts = [" ".join(_unbulleted(s.text).split()) for s in stored.sentences]
        # For each answer type, which sentences give it.
        self.answer_types = [(asks, _matching(gives, stored.sentences), bonus) for asks, gives, bonus in ANSWER_TYPES]
        # For each measure, which sentences give it.
        self.measures = [(asks, _matching(gives, stored.sentences)) for asks, gives in MEASURES]
        paragraphs = {key: n for n, key in enumerate(dict.fromkeys((s.source, s.paragraph) for s in stored.sentences))}
        self.paragraph_of = np.array([paragraphs[(s.source, s.paragraph)] for s in stored.sentences], dtype=np.int64)
        self.section_terms = [set(terms(abbreviated(s.section, stored.acronyms))) for s in stored.sentences]
        self.title_of = retriever.title_of
        # A heading speaks for the paragraph under it, less for each one further down (`select` reads the
        # rest as untitled): unedited text drifts (the raw article has its salary paragraph under "Work
        # Environment").
        last: dict[tuple[str, str], tuple[int, int]] = {}  # (document, section) → (paragraph, its depth)
        depth = []
        for s in stored.sentences:
            paragraph, below = last.get((s.source, s.section), (s.paragraph, 0))
            last[(s.source, s.section)] = (s.paragraph, below + (s.paragraph != paragraph))
            depth.append(last[(s.source, s.section)][1])
        self.title_reach = np.where(self.title_of < 0, 1.0, TITLE_DECAY ** np.array(depth, dtype=np.float64))
        # Where no heading speaks for a paragraph in full, its opening sentence says what the rest is about:
        # the raw article's skills paragraph has none, but opens "…possess certain skills…", and "They
        # communicate effectively…" answers "What skills does a CSO need?" without the word.
        # Not what an opening sets aside: "In addition to good academic credentials, this position requires
        # several years of leadership experience" opens a paragraph on experience, not credentials.
        headed = (self.title_of >= 0) & (self.title_reach == 1)
        opening: dict[int, set[str]] = {}  # each paragraph's opening sentence's terms
        for i, (paragraph, sentence) in enumerate(zip(self.paragraph_of.tolist(), stored.sentences, strict=True)):
            if paragraph not in opening:
                said = SET_ASIDE.sub("", sentence.text, count=1)
                opening[paragraph] = set(terms(abbreviated(said, stored.acronyms)))
            elif not headed[i]:
                self.section_terms[i] |= opening[paragraph]
        first_paragraph = {}
        for s in stored.sentences:
            first_paragraph.setdefault(s.source, s.paragraph)
        self.is_lead = np.array([first_paragraph[s.source] == s.paragraph for s in stored.sentences], dtype=bool)
        last_paragraph = {
            s.source: s.paragraph for s, quotable in zip(stored.sentences, self.quotable, strict=True) if quotable
        }
        self.is_last = np.array([last_paragraph.get(s.source) == s.paragraph for s in stored.sentences], dtype=bool)
        self.lead_vectors = self._vectors_of(self.is_lead & self.quotable)
        self.items_of, self.cause_of = _links(stored.sentences, self.quotable)
        self.opens_list = np.isin(np.arange(len(stored.sentences)), list(self.items_of))  # a lead-in
        self.bulleted = {i for i, s in enumerate(stored.sentences) if BULLET.match(s.text)}
        self.topics = _topics(stored)

    @classmethod
    def load(cls, index: str | Path = "index", embedder: Embedder | None = None, max_words: int = MAX_WORDS) -> Chatbot:
        return cls(Retriever.load(index, embedder), max_words)

    def _vectors_of(self, sentences: np.ndarray) -> np.ndarray:
        """The vectors of the sentences `sentences` marks, and of their clauses."""
        stored = self.retriever.stored
        return np.concatenate([stored.sentence_vectors[sentences], stored.clause_vectors[sentences[self.clause_of]]])

    def evidence(self, query: Query, sentence_vectors: np.ndarray | None = None) -> float:
        """How well the best of `sentence_vectors` (by default every quotable sentence and its clauses)
        matches the question, as plain cosine similarity: "reporting line" matches the clause "and
        responds directly to the chief executive officer," (0.23), not its sentence (0.11)."""
        vectors = self.quotable_vectors if sentence_vectors is None else sentence_vectors
        scores = vectors @ query.embedding
        return float(scores.max()) if scores.size else 0.0

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        """Answer `question`, reading follow-ups against the chat `history` (Gradio messages format)."""
        # Read as meant before its wording is: "Anything becond thoe three?" asks beyond those three.
        question = self.retriever.speller.correct(question)
        if SMALL_TALK.fullmatch(question):
            return self.declined(question, "Ask me about the documents")
        shown: frozenset[int] = frozenset()
        while MORE.fullmatch(question) and previous_question(history):
            # "What else?": the question before, asked again where it was asked (a follow-up itself, maybe),
            # answered from what its answers did not quote.
            shown |= self.quoted_in(_last_turn(history, "assistant") or "")
            question, history = previous_question(history), _before_last_question(history)
        if len(terms(stated(question))) >= OWN_CONTEXT_TERMS:
            history = None
        previous = previous_question(history)
        said = _last_turn(history, "assistant") or ""
        if previous and BEYOND_THAT.search(question):
            shown |= self.quoted_in(said)
        # "Do they report to the CEO?" names by pronoun what the question before was about: its topic
        # words, if it named the topic. Said first, or after a question naming none, "Who do they report
        # to?" can only mean what the documents are about; so can a pronoun that may stand for a word of the
        # question itself, asked as if first.
        by_pronoun = PRONOUN.search(question) is not None
        points_back = bool(previous) and self._points_back(question)
        topic = " ".join(self.retriever.rewrite(previous)[2]) if points_back else ""
        if by_pronoun and not topic:
            query = self._query(f"{self._part_read_with_topic(question)} {self.retriever.topic_text}")
        else:
            query = self._query(question, topic)
        if query is None:
            return self.declined(question)
        read_back = None  # the question read with the one before, once read
        if previous and (BACK.search(question) or any(p.fullmatch(question) for p in (ELLIPSIS, FRAGMENT, MODIFIER))):
            read_back = self.answer(question, self.retriever.query(f"{question} {previous}"), shown)
            if not read_back.abstained:
                return read_back
        answer = self.answer(question, query, shown)
        parts = questions_in(question)
        if len(parts) > 1 and not any(NAMED_BEFORE.search(part) for part in parts[1:]) and not shown:
            answer = self._answer_each(parts, answer, query)
        if (
            answer.abstained
            and previous
            and _leans_on_before(question, query, points_back)
            and not self.retriever.foreign(query.text)
        ):
            # Not covered alone, and shaped like a follow-up. "And who do they report to?" asks about the
            # topic of the question before; "And the lowest?" asks it again.
            tries = [answer]
            opening = None  # an answer from the documents' openings, for want of a passage matching what it asks

            def read_with(text: str, quoted: frozenset[int] = frozenset()) -> None:
                nonlocal opening
                with_text = self.retriever.query(f"{question} {text}")
                tries.append(self.answer(question, with_text, shown | quoted))
                if tries[-1].query != with_text.text:
                    # "Do they ever leave the office?" matches nothing with its topic alone. Read with the
                    # question and answer before first; the openings only if they match it better.
                    found = tries.pop()
                    opening = opening or found

            if topic:
                read_with(topic)
            if tries[-1].abstained:
                if read_back:
                    tries.append(read_back)
                else:
                    read_with(previous)
            quoted = self.quoted_in(said) if tries[-1].abstained else frozenset()
            if quoted:
                # "And the top end?" after "What's the average comp?": the answer before says in the
                # corpus's words what the question before asked in its own. Read with it, less what it said.
                read_with(MARKER.sub("", said), quoted)
            # An answer, else "That is all…" when more was asked and none is left, else the last decline.
            answered = [a for a in tries if not a.abstained] or [a for a in tries if a.text == ALL_SAID]
            answer = answered[0] if answered else tries[-1]
            if opening and (answer.abstained or self._match(query, opening) >= self._match(query, answer)):
                # "And who do they report to?" after "What does a CSO do?": the opening says.
                answer = opening
        return answer

    def _part_read_with_topic(self, question: str) -> str:
        """What of `question`, asked first and naming its subject by pronoun, to read with the documents'
        topic: all of it, or only what it asks when a preamble names the topic and the question points
        at one person with "he", "she", "this person": "Our company is creating a CSO position and I'm
        drafting the org chart. Who would this person normally report to?" asks who a CSO reports to,
        and the preamble's words ("company", "org chart") would draw the duties. Not "they" or "it",
        which may point at things the preamble names ("We want the person to set targets. What should
        they line up with?")."""
        questions = asked(question)
        if questions != question and ONE_PERSON.search(questions):
            return questions if self.retriever.names_topic(self.retriever.rewrite(question)[0]) else question
        return question

    def _match(self, query: Query, answer: Answer) -> float:
        """How well the sentences `answer` quotes match `query` (`evidence`)."""
        quoted = np.zeros(len(self.quotable), dtype=bool)
        quoted[list(self.quoted_in(answer.text))] = True
        return self.evidence(query, self._vectors_of(quoted))

    def _query(self, question: str, topic: str = "") -> Query | None:
        """`question` made ready for the index, or None when it is declined whatever the documents say: a
        request no quotation can serve, or one naming what the corpus never writes about (asked alone or
        as a follow-up: the question before must not lend it the topic, unless the question names it by
        pronoun: then "the CEO" of "Do they report to the CEO?" is not another of the topic's kind asked
        about instead of it)."""
        if NOT_A_QUESTION.search(question):
            return None
        query = self.retriever.query(question)
        if query.unfamiliar and topic:
            with_topic = self.retriever.rewrite(f"{question} {topic}")[0]
            return None if self.retriever.unfamiliar_names(with_topic) else query
        return None if query.unfamiliar else query

    def quoted_in(self, text: str) -> frozenset[int]:
        """The sentences an answer `text` quotes, whole or in part ("… a clause …"), with their markers or run
        together without them, as a chat kept elsewhere may hold them."""
        quotes = [" ".join(_unbulleted(q.strip()).split()) for q in QUOTE_BREAK.split(html.unescape(text))]
        quotes = [q for q in quotes if _words(q) >= MIN_QUOTE_WORDS]
        return frozenset(
            i for i, sentence in enumerate(self.quoted_texts) if any(q in sentence or sentence in q for q in quotes)
        )

    def answer(self, question: str, query: Query, shown: frozenset[int] = frozenset()) -> Answer:
        """Answer from the passages that best match `query`, unless the corpus does not cover it;
        never with the sentences `shown` already."""
        found = self._quotes(question, query, shown, self.max_words)
        return found if isinstance(found, Answer) else self.compose(found.sentences, found.hits, found.query)

    def _quotes(self, question: str, query: Query, shown: frozenset[int], budget: int) -> Quotes | Answer:
        """What `answer` quotes, in `budget` words: from the passages matching `query`, or from the documents'
        opening (quotes answering the topic's query); or a decline, or "That is all…" (`ALL_SAID`)."""
        evidence = self.evidence(query)
        if evidence < ABSTAIN_BELOW:
            return self.declined(query.text)
        # Asked what the documents' ending says, every passage is ranked: their last ones may match little else.
        ranking = self.retriever.ranking(query, len(self.retriever.stored.chunks) if query.ending else CANDIDATE_CHUNKS)
        hits = ranking.hits
        chunk_score = self._sentence_scores(hits)
        candidates = np.fromiter(chunk_score, dtype=np.int64)
        if query.ending and self.is_last[candidates].any():
            candidates = candidates[self.is_last[candidates]]
        elif query.about_topic and self.is_lead[candidates].any():
            # "What is a CSO?" names only what every passage is about: the documents' openings say what it is.
            candidates = candidates[self.is_lead[candidates]]
        match = ranking.match_of(candidates)
        if not query.about_topic and not self._covered(query, match, candidates, evidence):
            # Nothing in the passages matches what the question asks beyond the corpus's topic. Asked about
            # the topic ("Who does a CSO report to?" where the text says "responds to"), the documents'
            # openings are what they say of it in general, if they bear on what it asks at all (the same
            # evidence as above, from the openings alone: not "What is a CSO's retirement age?"); asked
            # about nothing they name, they are silent.
            if not query.topic or self.evidence(query, self.lead_vectors) < ABSTAIN_BELOW:
                return self.declined(query.text)
            topic = self.retriever.query(query.topic)  # the model runs only for an answer that may follow
            if not topic.about_topic:
                return self.declined(query.text)
            opening = self._quotes(query.topic, topic, shown, budget)
            if isinstance(opening, Quotes) and not _measures_asked(
                question, [" ".join(text for _, text in opening.sentences)]
            ):
                # "When was the role first created?" finds the opening, which gives no year.
                return self.declined(query.text)
            return opening
        if shown:
            # More of the passages already quoted from; when they are quoted out, of the others only for a
            # question about the topic as a whole, which every passage speaks to ("What is a CSO?").
            quoted_from = [
                h for h in hits if not shown.isdisjoint(range(*self.retriever.stored.chunks[h.chunk].sentences))
            ]
            chunk_score = self._sentence_scores(quoted_from, shown)
            if not chunk_score and query.about_topic:
                chunk_score = self._sentence_scores(hits, shown)
            if not chunk_score:
                return Answer(ALL_SAID, [], True, query.text)
            candidates = np.fromiter(chunk_score, dtype=np.int64)
            match = ranking.match_of(candidates)
        quotes = self.select(question, query, candidates, chunk_score, match, budget)
        # A measure asked is given by the paragraph that answers best (quoted first), not by one quoted after it:
        # "How long does it take to earn the GIAC certification?" drew the certifications, then "several years of
        # leadership experience" from the next paragraph, which is not how long a certificate takes.
        lead = next((self.paragraph_of[i] for i, _ in quotes if i is not None), None)
        led = [text for i, text in quotes if i is None or self.paragraph_of[i] == lead]
        if not _measures_asked(question, led, self.retriever.names_topic(query.topic)):
            return self.declined(query.text)
        return Quotes(quotes, hits, query)

    def _points_back(self, question: str) -> bool:
        """Whether the pronoun of `question` may stand for what was said before the question: every word
        before it in its clause is one the documents write. "How do I repot an orchid without damaging its
        roots?" names what "its" stands for; "Do they travel?", "Do CSOs need it?" and "wow, do they need them
        all?" do not."""
        pronoun = PRONOUN.search(question)
        if pronoun is None:
            return False
        clause = CLAUSE_OPENING.split(question[: pronoun.start()])[-1]
        return all(map(self.retriever.is_corpus_word, content_words(clause)))

    def _answer_each(self, parts: list[str], whole: Answer, query: Query) -> Answer:
        """Several questions in one ("What's the minimum degree, and what's the average pay?"): `whole`, the
        answer to all read together, when it quotes from the paragraph that best answers each alone; else
        each one's answer in turn, in full when they fit in the answer's words together, else in fair shares
        of them (`_fair_shares`). A decline of the whole is answered so too: no one paragraph gives "What
        degree does a CSO need, what certifications help, and how much do they earn?". When the documents do
        not answer every part alone, `whole` stands."""
        queries = [self._query(part) for part in parts]
        answers = [
            self._quotes(part, q, frozenset(), self.max_words) if q else None
            for part, q in zip(parts, queries, strict=True)
        ]
        if not _all_quoting(answers):
            return whole
        quoted = {self.paragraph_of[i] for i in self.quoted_in(whole.text)}
        leads = [self.paragraph_of[next(i for i, _ in a.sentences if i is not None)] for a in answers]
        if not whole.abstained and all(lead in quoted for lead in leads):
            return whole
        lengths = [self._words_quoted(a.sentences) for a in answers]
        # What the documents' opening says of the topic is not cut: "Who does a CSO report to?" is answered by its
        # second sentence, which a share of the words would leave out.
        openings = [a.query is not q for a, q in zip(answers, queries, strict=True)]
        shares = _fair_shares(lengths, self.max_words, openings)
        # Openings taking all the words, or a share too short to quote from: the answer read together stands.
        cut_short = any(share < min(length, MIN_PART_WORDS) for length, share in zip(lengths, shares, strict=True))
        if sum(shares) > self.max_words or cut_short:
            return whole
        for n, (length, share) in enumerate(zip(lengths, shares, strict=True)):
            if share < length:
                answers[n] = self._quotes(parts[n], queries[n], frozenset(), share)
        if not _all_quoting(answers):
            return whole
        sentences: list[tuple[int | None, str]] = []
        hits: list[Hit] = []
        for a in answers:
            said = {i for i, _ in sentences if i is not None}
            sentences += [(i, text) for i, text in a.sentences if i is None or i not in said]
            hits += [h for h in a.hits if h not in hits]
        return self.compose(sentences, hits, query)

    def _words_quoted(self, sentences: list[tuple[int | None, str]]) -> int:
        """Words the quotes take in an answer: "- " of a list item, and the "- …" of items left out, included."""
        return sum(OMISSION_WORDS if i is None else _words(text) + (i in self.bulleted) for i, text in sentences)

    def _covered(self, query: Query, match: PieceMatch, candidates: np.ndarray, evidence: float) -> bool:
        """Whether the passages and their headings hold enough of what `query` asks (`COVERED_FROM`, less when
        its `evidence` is strong: `COVERED_WITH_EVIDENCE`): of all its words, or of its questions' alone when
        statements precede them ("I'm in finance and got roped into interviewing candidates. What personal
        qualities should I watch for?": the preamble matches nothing)."""
        needed = max(COVERED_AT_LEAST, min(COVERED_FROM, COVERED_WITH_EVIDENCE - evidence))
        if self.retriever.coverage(query, candidates, match) >= needed:
            return True
        questions = asked(query.text)
        return (
            questions != query.text and self.retriever.coverage(self.retriever.query(questions), candidates) >= needed
        )

    def _sentence_scores(self, hits: list[Hit], shown: frozenset[int] = frozenset()) -> dict[int, float]:
        """The quotable sentences of `hits`, less those `shown`, each with the score of the best hit holding it."""
        scores: dict[int, float] = {}
        for hit in hits:
            for i in range(*self.retriever.stored.chunks[hit.chunk].sentences):
                if self.quotable[i] and i not in shown:
                    scores[i] = max(scores.get(i, -1.0), hit.score)
        return scores

    def select(
        self,
        question: str,
        query: Query,
        candidates: np.ndarray,
        chunk_score: dict[int, float],
        match: PieceMatch,
        budget: int,
    ) -> list[tuple[int | None, str]]:
        """The best of the candidate sentences and those close to it, in reading order with the best
        one's paragraph first, each with what of it to quote (list bullet removed), in `budget` words at
        most: all of it, or when it does not fit, its best clauses. (None, "…") stands for the items of a
        list left out."""
        if not candidates.size:
            return []
        stored = self.retriever.stored
        weights = {t: stored.lexical.idf_of(t) for t in set(query.terms)}
        w = SENTENCE_WEIGHTS
        # A sentence under no title (-1) reads the titles' mean: no title says nothing for or against it, where
        # 0 would put it below every sentence under a title that matches a little (untitled paragraphs of an
        # unedited page lost to any titled one: +3 of the dev set on the raw article). So, in part, does one
        # its title reaches less: the raw article's "Becoming a" heads education, experience and certifications.
        title_match = stored.title_vectors @ query.embedding
        untitled = title_match.mean() if title_match.size else 0.0
        title_match = np.append(title_match, untitled)
        title_read = untitled + self.title_reach[candidates] * (title_match[self.title_of[candidates]] - untitled)
        score = (
            w["dense"] * self.retriever.sentence_scores(query)[candidates]
            + w["pieces"] * match.per_sentence
            + w["terms"] * _term_share(weights, [self.sentence_terms[i] for i in candidates])
            + w["section"] * _term_share(weights, [self.section_terms[i] for i in candidates])
            + w["title"] * title_read
            + w["chunk"] * np.array([chunk_score[i] for i in candidates])
        )
        for asks, gives, bonus in self.answer_types:
            if asks.search(question):
                score = score + bonus * gives[candidates]
        kinds = KINDS_ASKED.search(question)
        if kinds and terms(kinds["of"]):
            named = re.compile(rf"\b\w+(,\s+\w+)*,?\s+(and|or)\s+\w+\s+{re.escape(kinds['of'])}s?\b", re.IGNORECASE)
            score = score + KINDS_BONUS * _matching(named, [stored.sentences[i] for i in candidates])
        best = int(np.argmax(score))
        # A measure asked, and given by the best sentence: the sentences giving it are the answer. "How much does
        # a CSO earn?" wants the three figures, not the pay paragraph's "…perform executive functions. As a
        # result, …" around them. Not "What factors determine how much…?", which asks why; nor "How many skills
        # does a CSO need?", whose best sentence gives no count: the skills answer it, not "several years".
        why = REASON_ASKED.search(question) is not None
        measures = [gives[candidates] for asks, gives in self.measures if asks.search(question)]
        if measures and not why:
            giving = np.logical_and.reduce(measures)
            if giving[best]:
                score[~giving] = -np.inf
        # A question naming only the topic ("What is a CSO?") is answered by what the documents open with, as a
        # whole: its first sentence names the topic, those after it say what it is, and match the question less.
        floor = -np.inf if query.about_topic else KEEP_RATIO * score[best]
        elsewhere = ELSEWHERE_RATIO * score[best]
        runner_up = self._runner_up(candidates, score, best)
        score[best] = np.inf
        # A list's lead-in is answered by its items, in order: all of them when they fit, else the most
        # that fit whole (the shortest), and a "- …" line says there are more.
        items = [i for i in self.items_of.get(int(candidates[best]), []) if i in chunk_score]
        position = {int(i): j for j, i in enumerate(candidates)}
        room_for_items = budget - self._length(int(candidates[best]))
        # Quoted in this order, before any sentence on its score: the best one, a runner-up close to it, which
        # the best one's list makes room for, then the list's items in order.
        first = 1e6  # far above any score, with room for steps: np.finfo's max would swallow them
        if runner_up is not None and room_for_items >= self._length(int(candidates[runner_up])):
            room_for_items -= self._length(int(candidates[runner_up]))
            score[runner_up] = first + 1
        complete = not items or sum(self._length(i) for i in items) <= room_for_items
        limit = budget if complete else budget - OMISSION_WORDS
        if not complete:
            lengths = [self._length(i) for i in items]
            fitting = _most_that_fit(lengths, room_for_items - OMISSION_WORDS)
            for n, item in enumerate(items):
                if n not in fitting:
                    score[position[item]] = -np.inf
            items = [items[n] for n in sorted(fitting)]
        for n, item in enumerate(items):
            score[position[item]] = first - n
        # A sentence naming things without saying which ("You also need some certifications to improve your
        # resume.") is read on into the next of its paragraph, which may say: quoted after it.
        best_sentence = int(candidates[best])
        said = position.get(best_sentence + 1)
        if (
            said is not None
            and not items
            and self.paragraph_of[best_sentence + 1] == self.paragraph_of[best_sentence]
            and UNSAID.search(stored.sentences[best_sentence].text)
        ):
            score[said] = first
        chosen: dict[int, str] = {}
        words = prose = 0
        read_on: set[int] = set()  # paragraphs quoted from
        while score.max() > -np.inf:
            j = int(np.argmax(score))
            if chosen and (prose >= MAX_SENTENCES or score[j] < floor or words == limit):
                break
            far = self.paragraph_of[candidates[j]] not in read_on and score[j] < elsewhere
            score[j] = -np.inf
            # Not from far below the best in another paragraph; nor a list's lead-in, which says nothing
            # without its items, which only the best one brings.
            if chosen and (far or self.opens_list[candidates[j]]):
                continue
            # "As a result, …" is quoted with the sentence it follows from (when retrieved, so it can be cited),
            # and counts as one sentence with it: counted as two, "Chief security officers perform executive
            # functions. As a result, the get some of the best salaries." crowded the average pay out of "What
            # does a CSO earn?" once 80 words left room for both.
            cause = self.cause_of.get(int(candidates[j]))
            unit = [i for i in (cause, int(candidates[j])) if i in chunk_score]
            # …unless the question asks no reason and the cause, on its own score, would not be quoted: "What is
            # the salary of a CSO?" is not answered by "…perform executive functions", which its "As a result, the
            # get some of the best salaries." brought before the figures. "Why do CSOs earn so much?" is.
            if chosen and cause is not None and cause not in chosen and not why:
                cause_score = score[position[cause]] if cause in position else -np.inf
                if cause_score < floor:
                    continue
            texts = {i: _unbulleted(stored.sentences[i].text) for i in unit if i not in chosen}
            sentences = sum(i not in self.bulleted and i not in self.cause_of for i in texts)
            if chosen and prose + sentences > MAX_SENTENCES:
                continue
            length = self._words_quoted(list(texts.items()))
            if not chosen and length > limit:  # the best sentence is quoted, in part if need be
                i = int(candidates[j])
                room = limit - (i in self.bulleted)
                texts = {
                    i: _excerpt(texts[i], weights, room, self._clause_match(i, query)) or _first_words(texts[i], room)
                }
            elif words + length > limit:
                room = limit - words
                if len(texts) > 1 or room < MIN_PART_WORDS:
                    continue
                texts = {
                    i: _excerpt(t, weights, room - (i in self.bulleted), self._clause_match(i, query))
                    for i, t in texts.items()
                }
                if None in texts.values():
                    continue
            chosen |= texts
            prose += sentences
            words += self._words_quoted(list(texts.items()))
            # The rest of a quoted sentence's paragraph (or list, lead-in included) reads on from it: a head start.
            paragraph = self.paragraph_of[candidates[j]]
            if paragraph not in read_on:
                read_on.add(paragraph)
                score[self.paragraph_of[candidates] == paragraph] += SAME_PARAGRAPH_BONUS
        # In reading order, the best sentence's paragraph first: the answer opens with what answers best.
        lead = self.paragraph_of[candidates[best]]
        quotes: list[tuple[int | None, str]] = sorted(
            chosen.items(), key=lambda item: (self.paragraph_of[item[0]] != lead, item[0])
        )
        if not complete:
            last = max((n for n, (i, _) in enumerate(quotes) if i in items), default=0)
            quotes.insert(last + 1, (None, OMISSION))
        return quotes

    def _runner_up(self, candidates: np.ndarray, score: np.ndarray, best: int) -> int | None:
        """The best of `candidates` from another paragraph than the best one's, when it scores at least
        `RUNNER_UP_RATIO` of it; never a list's lead-in, which says nothing without its items."""
        other = (self.paragraph_of[candidates] != self.paragraph_of[candidates[best]]) & ~self.opens_list[candidates]
        if not other.any():
            return None
        j = int(np.argmax(np.where(other, score, -np.inf)))
        return j if score[j] >= RUNNER_UP_RATIO * score[best] else None

    def _clause_match(self, i: int, query: Query) -> dict[str, float]:
        """The clauses of sentence i (`chunking.clauses_of`), as quoted, each with its cosine with the question."""
        stored = self.retriever.stored
        (clauses,) = np.nonzero(self.clause_of == i)
        scores = stored.clause_vectors[clauses] @ query.embedding
        return {_unbulleted(stored.clauses[c].text): float(v) for c, v in zip(clauses, scores, strict=True)}

    def _length(self, i: int) -> int:
        """Words sentence i takes in an answer, "- " of a list item included."""
        return _words(_unbulleted(self.retriever.stored.sentences[i].text)) + (i in self.bulleted)

    def compose(self, quotes: list[tuple[int | None, str]], hits: list[Hit], query: Query) -> Answer:
        """Markdown quoting the chosen sentences, each followed by the marker of the best chunk holding it.
        Prose runs on in one paragraph; list items keep a line each, as Markdown list items, and so does
        the "…" standing for items left out."""
        stored = self.retriever.stored
        sources: list[Hit] = []
        lines: list[str] = []
        previous_was_item = False
        for i, text in quotes:
            if i is None:
                lines.append(f"- {text}")
                previous_was_item = True
                continue
            hit = next(
                h for h in hits if stored.chunks[h.chunk].sentences[0] <= i < stored.chunks[h.chunk].sentences[1]
            )
            if hit not in sources:
                sources.append(hit)
            item = i in self.bulleted
            # The marker sticks to the sentence's last word, as in Wikipedia: it is not a word.
            quoted = f"{'- ' if item else ''}{_markdown_safe(text)}[{sources.index(hit) + 1}]"
            if lines and not item and not previous_was_item:
                lines[-1] += " " + quoted
            else:
                lines.append(quoted)
            previous_was_item = item
        return Answer("\n".join(lines), sources, False, query.text)

    def declined(self, asked: str, reply: str = "The documents don't cover that") -> Answer:
        covered = ", ".join(self.topics)
        return Answer(f"{reply}. They cover: {covered}." if covered else f"{reply}.", [], True, asked)


def questions_in(question: str) -> list[str]:
    """The questions `question` asks, after any preamble (`asked`): one, or several in a row (`PARTS`, `LISTED`),
    or the things a request lists (`SERIES_COMMA`, `SERIES_END`)."""
    asking = asked(question)
    if REQUEST.match(asking) and "," in asking:
        *items, last = SERIES_COMMA.split(asking)
        items += [item for item in SERIES_END.split(last, maxsplit=1) if item]
        # Each item must ask something beyond the request: not "Tell me, what does a CSO earn?", "List them, please."
        if all(terms(REQUEST.sub("", POLITE.sub("", item))) for item in items):
            return items
    questions = []
    for part in PARTS.split(asking):
        listed = LISTED.split(part)
        questions += listed if all(map(DIRECT_QUESTION.match, listed)) else [part]
    return questions


def _all_quoting(answers: list[Quotes | Answer | None]) -> bool:
    """Whether every one of `answers` quotes a passage: none a decline, nor left unasked (None)."""
    return all(isinstance(a, Quotes) and a.sentences for a in answers)


def _fair_shares(lengths: list[int], total: int, fixed: list[bool]) -> list[int]:
    """Words for answers of these `lengths` to take `total` at most together: each its length, but the longest
    cut to an equal share of what the shorter ones leave; those `fixed` are never cut."""
    remaining = total - sum(n for n, kept in zip(lengths, fixed, strict=True) if kept)
    cut = sorted(n for n, kept in zip(lengths, fixed, strict=True) if not kept)
    for left, length in zip(range(len(cut), 0, -1), cut, strict=True):
        share = remaining // left
        if length > share:
            return [n if kept else min(n, share) for n, kept in zip(lengths, fixed, strict=True)]
        remaining -= length
    return list(lengths)


def _measures_asked(question: str, quotes: list[str], names_topic: bool = True) -> bool:
    """Whether `quotes` give every measure `question` asks for (`MEASURES`; a `PRICE` too, unless it
    names the corpus's topic), or speak of the share of what it asks a share of (`SHARE_OF`), or open naming
    the things it asks a count of (`COUNTED`); and name every kind of thing it asks for by name (`NAMED_KINDS`)."""
    asking = asked(question)
    if not all(any(kind.search(q) for q in quotes) for kind in NAMED_KINDS if kind.search(asking)):
        return False
    measures = MEASURES if names_topic else (*MEASURES, PRICE)
    share = SHARE_OF.search(question)
    if share and any(m["whole"].lower() == share["whole"].lower() for q in quotes for m in SHARE_OF.finditer(q)):
        return True  # the share asked, in the documents' words: "a larger percentage of their time"
    counted = COUNTED.search(question)
    if counted and quotes and set(terms(counted["things"])) & set(terms(quotes[0])):
        return True
    return all(any(gives.search(q) for q in quotes) for asks, gives in measures if asks.search(question))


def _leans_on_before(question: str, query: Query, points_back: bool) -> bool:
    """Whether `question` may be a follow-up, to be read with the question before when the documents do
    not cover it alone: it opens like one, names its subject by a pronoun that may point back (`points_back`,
    `Chatbot._points_back`), points back ("that"), or says too little to stand alone. "Tell me a joke about cats."
    asked after a salary question is none of these, and is declined, not read as a question about pay."""
    return bool(
        FOLLOW_UP_OPENING.match(question)
        or points_back
        or DEMONSTRATIVE.search(question)
        or len(query.terms) <= MAX_OWN_TERMS
    )


def _links(sentences: list[Sentence], quotable: np.ndarray) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Sentences that cannot stand alone: a list's lead-in → its items; a sentence opening with a
    consequence ("As a result, …") → the one before it."""
    items_of: dict[int, list[int]] = {}
    cause_of: dict[int, int] = {}
    for i, sentence in enumerate(sentences):
        if i == 0 or not _same_paragraph(sentences[i - 1], sentence):
            continue
        if BULLET.match(sentence.text) and quotable[i]:
            lead = i - 1  # a list and its lead-in are one paragraph
            while lead > 0 and BULLET.match(sentences[lead].text):
                lead -= 1
            if not BULLET.match(sentences[lead].text) and _same_paragraph(sentences[lead], sentence):
                items_of.setdefault(lead, []).append(i)
        elif CONSEQUENCE.match(sentence.text) and quotable[i - 1]:
            cause_of[i] = i - 1
    return items_of, cause_of


def _matching(pattern: re.Pattern, sentences: list[Sentence]) -> np.ndarray:
    """Which of `sentences` `pattern` finds something in."""
    return np.array([pattern.search(s.text) is not None for s in sentences], dtype=bool)


def _same_paragraph(a: Sentence, b: Sentence) -> bool:
    return (a.source, a.paragraph) == (b.source, b.paragraph)


def _term_share(weights: dict[str, float], held: list[set[str]]) -> np.ndarray:
    """For each set of terms, the share of the question's term weight it holds."""
    total = sum(weights.values()) or 1.0
    return np.array([sum(w for t, w in weights.items() if t in terms_) / total for terms_ in held])


def _topics(stored: StoredIndex) -> list[str]:
    """What the corpus is about, for declining: its section titles, else its document names."""
    return stored.titles or list(dict.fromkeys(Path(s.source).stem.replace("_", " ") for s in stored.sentences))


def _words(text: str) -> int:
    return len(text.split())


# Where a long sentence may be cut: after a comma, semicolon or colon, before a dash or parenthesis.
CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+(?=[(–—])")


def _excerpt(
    text: str, weights: dict[str, float], limit: int, clause_match: Mapping[str, float] = MappingProxyType({})
) -> str | None:
    """`text` when it has at most `limit` words, else its run of whole clauses within the limit that holds
    the most question-term weight, or when none holds any, the one holding the clause (`clause_match`, each
    with its match with the question) that best matches it: "He is responsible for … and responds directly
    to the chief executive officer, …" for "Who does a CSO answer to?". Marked with "…" where text was left
    out. None when no run that fits holds either: "- … computer systems and intellectual property." says
    nothing of what was asked."""
    if _words(text) <= limit:
        return text
    clauses = [c for c in CLAUSE_BREAK.split(text) if c]
    lengths = [_words(c) for c in clauses]
    best, best_held = None, (0.0, -np.inf)
    for first in range(len(clauses)):
        last, words = first, 0
        while last < len(clauses) and words + lengths[last] <= limit - 2:  # room for two "…"
            words += lengths[last]
            last += 1
        run = " ".join(clauses[first:last])
        held = set(terms(run))
        weight = sum(w for t, w in weights.items() if t in held)
        # Of runs holding as much weight, the first: clauses count only where none holds any.
        match = -np.inf if weight else max((m for clause, m in clause_match.items() if clause in run), default=-np.inf)
        if last > first and (weight, match) > best_held:
            best, best_held = (first, last), (weight, match)
    if best is None:
        return None
    first, last = best
    return ("… " if first else "") + " ".join(clauses[first:last]) + (" …" if last < len(clauses) else "")


def _most_that_fit(lengths: list[int], room: int) -> set[int]:
    """Positions of the most items whose lengths add up to at most `room`: the shortest."""
    fitting: set[int] = set()
    for n in sorted(range(len(lengths)), key=lambda n: lengths[n]):
        if lengths[n] > room:
            break
        fitting.add(n)
        room -= lengths[n]
    return fitting


def _first_words(text: str, limit: int) -> str:
    return " ".join(text.split()[: limit - 1]) + " …"


def _unbulleted(text: str) -> str:
    bullet = BULLET.match(text)
    return text[bullet.end() :] if bullet else text


def _markdown_safe(text: str) -> str:
    """Corpus text shown as Markdown: HTML is escaped so it reads as text and never runs."""
    return html.escape(" ".join(text.split()), quote=False)
