"""Chunk stage: documents → sentences → section-aware chunks that fit the model's window.

A document is read as blocks: headings (Markdown `#` lines, or a short title-cased line standing
alone), list items (one per bullet or number) and paragraphs; a lone line of web boilerplate
("Related Resource: …", "Read more") is left out, and in a document without Markdown headings two
blank lines or more end a section. Paragraphs are split into sentences with pysbd; a list item stays
one unit so that answers can quote it whole. Units are packed into chunks that never cross a section
and never cut a unit, so every chunk is a span of its source.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pysbd

from .corpus import Document

TokenCounter = Callable[[Sequence[str]], list[int]]

BULLET = re.compile(r"^[ \t]*(?:[-*+•▪‣◦·]|\d{1,3}[.)])[ \t]+")
MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$")
# A lone line like these is a web page's link to elsewhere ("Related Resource: Top 40 …"): neither a
# heading nor content, so it is left out.
BOILERPLATE = re.compile(
    r"^\s*(related (resources?|posts?|articles?|reading|links?)|sponsored|advertisement|read (more|also|next)|"
    r"see also|you (may|might) also like|recommended( for you)?)\b",
    re.IGNORECASE,
)
WORD = re.compile(r"\S+")
# A section title longer than this is kept as metadata but not prepended to the embedded text.
MAX_CONTEXT_CHARS = 200
# Saved in an index's manifest: raise it whenever the same text and settings would give other sentences
# or chunks, so that an index built by an older chunker reads as stale (`index.stale_reason`).
VERSION = 1


@dataclass(frozen=True)
class ChunkerConfig:
    target_tokens: int = 128  # a chunk grows until it reaches this many word pieces…
    max_tokens: int = 254  # …and never beyond this (the model window less [CLS] and [SEP])
    min_tokens: int = 32  # a chunk ends at a paragraph break once it has this many
    overlap: int = 1  # units repeated at the start of the next chunk of the same paragraph


@dataclass(frozen=True)
class Sentence:
    """The smallest quotable unit: a sentence of a paragraph, or a whole list item."""

    source: str
    section: str
    start: int
    end: int
    text: str
    paragraph: int  # which paragraph of its document it is in (a list is one, with the line leading into it)
    hash: str  # of `embedding_input`, so an unchanged sentence keeps its vector

    @property
    def embedding_input(self) -> str:
        return sentence_embedding_input(self.section, self.text)


@dataclass(frozen=True)
class Chunk:
    source: str
    section: str
    start: int
    end: int
    text: str
    sentences: tuple[int, int]  # [first, last) positions in the sentence list beside it
    hash: str  # of `embedding_input`, so an unchanged chunk keeps its vector

    @property
    def embedding_input(self) -> str:
        return embedding_input(self.section, self.text)


def embedding_input(section: str, text: str) -> str:
    """What the model sees: the section title gives a passage the context its text may omit."""
    if section and len(section) <= MAX_CONTEXT_CHARS:
        return f"{section}\n{text}"
    return text


def sentence_embedding_input(section: str, text: str) -> str:
    """A sentence is embedded on its own words: with the section title in front, every sentence of a
    section would look alike, and picking the one that answers is the point (measured, README)."""
    return text


@dataclass(frozen=True)
class Clause:
    """A clause of a long sentence, embedded on its own: a question may match one clause ("responds
    directly to the chief executive officer") better than the whole sentence it dilutes."""

    sentence: int  # the position of its sentence in the corpus
    text: str


# Where a sentence divides into clauses: after a comma, semicolon or colon, before a dash or parenthesis,
# and before "and", "or", "which" or "who".
CLAUSE_START = re.compile(r"(?<=[,;:])\s+|\s+(?=[(–—])|\s+(?=(?:and|or|which|who)\s)")
# Shorter clauses say too little alone ("and vendors"), yet match questions by chance (measured, README).
MIN_CLAUSE_WORDS = 8


def clauses_of(sentences: list[Sentence]) -> list[Clause]:
    """The clauses, of MIN_CLAUSE_WORDS words or more, of the sentences that have several."""
    found = []
    for n, sentence in enumerate(sentences):
        parts = [p.strip() for p in CLAUSE_START.split(sentence.text) if p.strip()]
        if len(parts) > 1:
            found += [Clause(n, p) for p in dict.fromkeys(parts) if len(p.split()) >= MIN_CLAUSE_WORDS]
    return found


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class _Block:
    kind: str  # "heading", "paragraph" or "item"
    start: int
    end: int
    title: str = ""


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line without its line break."""
    pos = 0
    for line in text.splitlines(keepends=True):
        yield pos, pos + len(line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
        pos += len(line)


def looks_like_heading(line: str) -> bool:
    """A lone short line in title case with no closing punctuation reads as a heading."""
    stripped = line.strip()
    words = stripped.split()
    if not words or len(words) > 12 or stripped[-1] in ".,;:!" or BULLET.match(line):
        return False
    content = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    if not content:
        return False
    return sum(w[0].isupper() for w in content) / len(content) >= 0.6


def parse_blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    run: list[tuple[int, int]] = []

    def flush_run() -> None:
        lone = text[run[0][0] : run[0][1]] if len(run) == 1 else ""
        if lone and BOILERPLATE.match(lone):
            run.clear()
            return
        if lone and not MD_HEADING.match(lone) and looks_like_heading(lone):
            start, end = run[0]
            blocks.append(_Block("heading", start, end, text[start:end].strip()))
        else:
            current: list[int] | None = None  # [kind-index, start, end] of the open block
            kinds = ("paragraph", "item")
            for start, end in run:
                line = text[start:end]
                heading = MD_HEADING.match(line)
                if heading:
                    if current:
                        blocks.append(_Block(kinds[current[0]], current[1], current[2]))
                    blocks.append(_Block("heading", start, end, heading.group(1).strip()))
                    current = None
                elif BULLET.match(line) or current is None:
                    if current:
                        blocks.append(_Block(kinds[current[0]], current[1], current[2]))
                    current = [1 if BULLET.match(line) else 0, start, end]
                else:
                    current[2] = end
            if current:
                blocks.append(_Block(kinds[current[0]], current[1], current[2]))
        run.clear()

    # Text copied from a web page without its headings keeps the gaps they left: there, two blank lines
    # or more end a section, and what follows has no title (the raw article's pay paragraph would
    # otherwise be cited, and scored, as "Work Environment"). A document with Markdown headings says
    # where its sections are.
    gaps_end_sections = not any(MD_HEADING.match(text[start:end]) for start, end in _lines(text))
    blank_lines = 0
    for start, end in _lines(text):
        if not text[start:end].strip():
            blank_lines += 1
            if run:
                flush_run()
            continue
        if gaps_end_sections and blank_lines >= 2 and blocks and not run:
            blocks.append(_Block("heading", start, start))  # a section break, untitled
        blank_lines = 0
        run.append((start, end))
    if run:
        flush_run()
    return blocks


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, start: int, end: int, segmenter: pysbd.Segmenter) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], located in the source so offsets are exact."""
    spans = []
    cursor = start
    for sentence in segmenter.segment(text[start:end]):
        piece = sentence.strip()
        if not piece:
            continue
        found = text.find(piece, cursor, end)
        if found < 0:  # pysbd altered the text; keep the rest whole rather than lose it
            break
        spans.append((found, found + len(piece)))
        cursor = found + len(piece)
    rest = _trimmed(text, cursor, end)
    if rest[0] < rest[1]:
        if spans and not any(c.isalnum() for c in text[rest[0] : rest[1]]):
            spans[-1] = (spans[-1][0], rest[1])
        else:
            spans.append(rest)
    # Fold whatever pysbd skipped between two sentences into the earlier one: no text is lost.
    return [_trimmed(text, s, spans[i + 1][0]) if i + 1 < len(spans) else (s, e) for i, (s, e) in enumerate(spans)]


def split_words(text: str, start: int, end: int, budget: int, count_tokens: TokenCounter) -> list[tuple[int, int]]:
    """Cut an over-long unit at word boundaries into pieces of at most `budget` word pieces."""
    words = [(m.start() + start, m.end() + start) for m in WORD.finditer(text[start:end])]
    counts = count_tokens([text[s:e] for s, e in words])
    pieces: list[tuple[int, int]] = []
    piece_start, used = words[0][0], 0
    for (s, _e), n in zip(words, counts, strict=False):
        if used and used + n > budget:
            pieces.append(_trimmed(text, piece_start, s))
            piece_start, used = s, 0
        used += n
    pieces.append((piece_start, end))
    return pieces


def _units(
    doc: Document, blocks: list[_Block], budget: int, count_tokens: TokenCounter, segmenter: pysbd.Segmenter
) -> tuple[list[tuple[int, int, int]], list[int]]:
    """(start, end, block) of each quotable unit, none longer than `budget` word pieces, and their sizes."""
    text = doc.text
    spans: list[tuple[int, int, int]] = []
    for b, block in enumerate(blocks):
        start, end = _trimmed(text, block.start, block.end)
        if block.kind == "item":
            spans.append((start, end, b))
        else:
            spans.extend((s, e, b) for s, e in split_sentences(text, start, end, segmenter))
    counts = count_tokens([text[s:e] for s, e, _ in spans])
    units: list[tuple[int, int, int]] = []
    sizes: list[int] = []
    for (s, e, b), n in zip(spans, counts, strict=False):
        if n <= budget:
            units.append((s, e, b))
            sizes.append(n)
            continue
        # A long item falls back to its sentences; any unit still too long is cut at words.
        parts = split_sentences(text, s, e, segmenter) if blocks[b].kind == "item" else [(s, e)]
        pieces = [piece for ps, pe in parts for piece in split_words(text, ps, pe, budget, count_tokens)]
        units.extend((ps, pe, b) for ps, pe in pieces)
        sizes.extend(count_tokens([text[ps:pe] for ps, pe in pieces]))
    return units, sizes


def _pack(counts: list[int], groups: list[int], config: ChunkerConfig, budget: int) -> list[tuple[int, int]]:
    """Group consecutive units into [first, last) ranges: grow to the target, never past the budget,
    and end at a paragraph break (a change of group) once the chunk holds `min_tokens`."""
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(counts):
        last, used = first + 1, counts[first]
        while (
            last < len(counts)
            and used < config.target_tokens
            and used + counts[last] <= budget
            and (groups[last] == groups[last - 1] or used < config.min_tokens)
        ):
            used += counts[last]
            last += 1
        ranges.append((first, last))
        if last == len(counts):
            break
        overlap_start = max(last - config.overlap, first + 1)
        first = overlap_start if groups[overlap_start] == groups[last] else last
    return ranges


def _groups(blocks: list[_Block]) -> list[int]:
    """Paragraph groups of blocks: a list's items stay with each other and with the line leading into them."""
    groups: list[int] = []
    for block in blocks:
        if not groups:
            groups.append(0)
        else:
            groups.append(groups[-1] + (block.kind != "item"))
    return groups


def chunk_document(
    doc: Document, config: ChunkerConfig, count_tokens: TokenCounter
) -> tuple[list[Sentence], list[Chunk]]:
    """Split one document; chunk sentence ranges index into the returned sentence list."""
    segmenter = pysbd.Segmenter(language="en", clean=False)
    text = doc.text
    blocks = parse_blocks(text)
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    # Sections are runs of blocks between headings; text before the first heading has none.
    sections: list[tuple[str, list[_Block]]] = [("", [])]
    for block in blocks:
        if block.kind == "heading":
            sections.append((block.title, []))
        else:
            sections[-1][1].append(block)
    titles = [title for title, _ in sections if embedding_input(title, "") != ""]
    title_tokens = dict(zip(titles, count_tokens([embedding_input(t, "") for t in titles]), strict=False))
    paragraph_offset = 0
    for title, section_blocks in sections:
        if not section_blocks:
            continue
        budget = config.max_tokens - title_tokens.get(title, 0)
        units, counts = _units(doc, section_blocks, budget, count_tokens, segmenter)
        groups = _groups(section_blocks)
        base = len(sentences)
        sentences.extend(
            Sentence(
                doc.path,
                title,
                s,
                e,
                text[s:e],
                paragraph_offset + groups[b],
                content_hash(sentence_embedding_input(title, text[s:e])),
            )
            for s, e, b in units
        )
        paragraph_offset += groups[-1] + 1
        for first, last in _pack(counts, [groups[b] for _, _, b in units], config, budget):
            start, end = units[first][0], units[last - 1][1]
            chunk_text = text[start:end]
            chunks.append(
                Chunk(
                    doc.path,
                    title,
                    start,
                    end,
                    chunk_text,
                    (base + first, base + last),
                    content_hash(embedding_input(title, chunk_text)),
                )
            )
    return sentences, chunks


def chunk_corpus(
    documents: Sequence[Document], config: ChunkerConfig, count_tokens: TokenCounter
) -> tuple[list[Sentence], list[Chunk]]:
    """Chunk every document; sentence ranges of chunks index the combined sentence list."""
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    for doc in documents:
        doc_sentences, doc_chunks = chunk_document(doc, config, count_tokens)
        offset = len(sentences)
        sentences.extend(doc_sentences)
        chunks.extend(
            Chunk(
                c.source, c.section, c.start, c.end, c.text, (c.sentences[0] + offset, c.sentences[1] + offset), c.hash
            )
            for c in doc_chunks
        )
    return sentences, chunks
