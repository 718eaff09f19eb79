"""Acronyms the corpus defines ("chief security officer (CSO)"), so either form finds the other, and
acronyms a question uses that the corpus only spells out ("CEO" for "chief executive officer").

A corpus about a subject names it constantly, in full or abbreviated; treating the two forms as one
term keeps the abbreviation from looking rare (and so decisive) to BM25 just because the text
spells the subject out most of the time. Nothing here knows any particular acronym.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

DEFINITION = re.compile(r"\(([A-Z][A-Za-z]{1,9})\)")
WORD = re.compile(r"[A-Za-z][\w'’-]*")
# Small words an acronym usually skips: "Department of Defense (DoD)".
SKIPPED = frozenset({"of", "and", "the", "for", "in", "on", "to", "a", "an", "&"})
# An acronym as a question types it: capitals, maybe a plural "s". Two letters spell too many phrases
# ("HR", "highly respected") to guess which one is meant.
TYPED = re.compile(r"\b([A-Z]{3,6})s?\b")


def find_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """{acronym: long form} for every "long form (ACRONYM)" whose initials spell the acronym."""
    found: dict[str, str] = {}
    for text in texts:
        for match in DEFINITION.finditer(text):
            acronym = match.group(1)
            letters = [c.lower() for c in acronym if c.isupper()]
            if len(letters) < 2:
                continue
            words = WORD.findall(text[max(0, match.start() - 200) : match.start()])
            long_form = _long_form(words, letters)
            if long_form:
                found.setdefault(acronym, long_form)
    return found


def _long_form(words: list[str], letters: list[str]) -> str | None:
    """The shortest run of trailing words whose significant initials are `letters`."""
    for n in range(len(letters), min(len(words), 2 * len(letters)) + 1):
        run = words[-n:]
        initials = [w[0].lower() for w in run if w.lower() not in SKIPPED]
        if initials == letters and run[0].lower() not in SKIPPED:
            return " ".join(run)
    return None


def abbreviated(text: str, acronyms: dict[str, str]) -> str:
    """`text` with every long form, and every plural of the acronym, replaced by the acronym: one term
    for BM25, however it is written. "cso pay" means CSO, but "it" is rarely IT: only acronyms of three
    letters or more match in any case."""
    for acronym, long_form in acronyms.items():
        text = re.sub(rf"\b{re.escape(long_form)}s?\b", acronym, text, flags=re.IGNORECASE)
        case = re.IGNORECASE if len(acronym) >= 3 else 0
        text = re.sub(rf"\b{re.escape(acronym)}s?\b", acronym, text, flags=case)
    return text


def spelled_out(text: str, corpus: str, corpus_words: set[str], stopwords: frozenset[str]) -> str:
    """`text` with every acronym the corpus never uses replaced by the phrase of `corpus` whose initials
    spell it ("CEO" → "chief executive officer"): a name in capitals first ("CISA" is "Certified
    Information Systems Auditor" before "conduct independent security audits"), then the most
    frequent. Left as it is when no phrase does."""

    def phrase(match: re.Match) -> str:
        acronym = match.group(1)
        if acronym.lower() in corpus_words:
            return match.group()
        pattern = r"(?:\s+(?:of|and|the|for|&))?\s+".join(rf"({re.escape(c)}[a-z]+)" for c in acronym.lower())
        found = Counter(
            " ".join(m.group().split())
            for m in re.finditer(rf"\b{pattern}\b", corpus, flags=re.IGNORECASE)
            if not any(w.lower() in stopwords for w in m.groups())
        )
        return max(found, key=lambda p: (_named(p), found[p])) if found else match.group()

    return TYPED.sub(phrase, text)


def _named(phrase: str) -> bool:
    """Written as a name: every significant word capitalised."""
    return all(w[0].isupper() for w in phrase.split() if w.lower() not in SKIPPED)
