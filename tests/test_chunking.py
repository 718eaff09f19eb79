import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from csobot.chunking import (
    BOILERPLATE,
    ChunkerConfig,
    Clause,
    Sentence,
    chunk_document,
    clauses_of,
    looks_like_heading,
    parse_blocks,
)
from csobot.corpus import Document
from csobot.embedding import packaged_model_dir

CONFIG = ChunkerConfig(target_tokens=48, max_tokens=64, min_tokens=8, overlap=1)


@pytest.fixture(scope="module")
def count_tokens():
    tokenizer = AutoTokenizer.from_pretrained(str(packaged_model_dir()))
    return lambda texts: (
        [len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]] if texts else []
    )


def doc(text: str) -> Document:
    return Document("doc.md", text, "0" * 64)


def left_out_spans(text: str) -> list[tuple[int, int]]:
    """Headings, and lines of web boilerplate: the text no chunk holds."""
    headings = [(b.start, b.end) for b in parse_blocks(text) if b.kind == "heading"]
    return headings + [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if BOILERPLATE.match(m.group())]


words = st.sampled_from(
    ["security", "officer", "Dr.", "e.g.", "budget", "$143,541", "U.S.", "risk", "ﬁle", "naïve", "x" * 40, "—", "3.5"]
)
sentence = st.builds(
    lambda w, end: " ".join(w) + end, st.lists(words, min_size=1, max_size=30), st.sampled_from([".", "?", "!", ""])
)
line = st.one_of(
    sentence,
    st.lists(sentence, min_size=1, max_size=6).map(" ".join),
    sentence.map(lambda s: "- " + s),
    sentence.map(lambda s: "## " + s[:40]),
    st.just("Work Environment"),
    st.just("Related Resource: Top 40 Best Associates in Criminal Justice Online 2018"),
    st.just(""),
)
documents = st.lists(line, min_size=1, max_size=25).map("\n".join).filter(lambda t: t.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents)
def test_chunks_are_exact_spans_within_the_window_and_lose_no_text(text, count_tokens):
    sentences, chunks = chunk_document(doc(text), CONFIG, count_tokens)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert count_tokens([chunk.embedding_input])[0] <= CONFIG.max_tokens
        first, last = chunk.sentences
        # Chunks start and end on sentence boundaries: no sentence is cut.
        assert chunk.start == sentences[first].start and chunk.end == sentences[last - 1].end
    for s in sentences:
        assert text[s.start : s.end] == s.text
    covered = [False] * len(text)
    for chunk in chunks:
        covered[chunk.start : chunk.end] = [True] * (chunk.end - chunk.start)
    for start, end in left_out_spans(text):
        covered[start:end] = [True] * (end - start)
    lost = [c for c, seen in zip(text, covered, strict=True) if not seen and not c.isspace()]
    assert lost == []


def test_sections_lists_and_sentences_of_a_markdown_document(count_tokens):
    text = (
        "# Title\n\nIntro sentence one. Intro sentence two.\n\n## Duties\n\nThey do these;\n\n"
        "- Guard the assets.\n- Audit the systems. Twice a year.\n\n## Pay\n\nThey earn $100. Some earn more."
    )
    sentences, chunks = chunk_document(doc(text), ChunkerConfig(), count_tokens)
    assert [c.section for c in chunks] == ["Title", "Duties", "Pay"]
    assert [s.text for s in sentences if s.section == "Duties"] == [
        "They do these;",
        "- Guard the assets.",
        "- Audit the systems. Twice a year.",
    ]
    assert [s.text for s in sentences if s.section == "Pay"] == ["They earn $100.", "Some earn more."]
    assert chunks[1].embedding_input.startswith("Duties\n")


def test_raw_text_headings_are_recognised():
    assert looks_like_heading("Key Responsibilities")
    assert looks_like_heading("What is a Chief Security Officer?")
    assert not looks_like_heading("How much does a CSO earn?")
    assert not looks_like_heading("Chief security officers have the following responsibilities;")
    assert not looks_like_heading("  • Perform analyses.")


def test_a_lone_line_of_web_boilerplate_is_neither_heading_nor_content():
    text = "Intro text.\n\nRelated Resource: Top 40 Best Associates in Criminal Justice Online 2018\n\nMore text."
    blocks = parse_blocks(text)
    assert [b.kind for b in blocks] == ["paragraph", "paragraph"]
    assert not any("Related" in text[b.start : b.end] for b in blocks)


def test_an_overlong_sentence_is_cut_at_words_to_fit(count_tokens):
    text = "word " * 300 + "end."
    sentences, chunks = chunk_document(doc(text), CONFIG, count_tokens)
    assert len(chunks) > 1
    assert all(count_tokens([c.embedding_input])[0] <= CONFIG.max_tokens for c in chunks)
    assert " ".join(s.text for s in sentences).split() == text.split()


def test_two_blank_lines_end_a_section_in_text_without_markdown_headings(count_tokens):
    # A web page copied as text loses its headings but keeps the gaps they left.
    text = "Work Environment\n\nThey work at a desk.\n\n\nThey earn $100.\n\nSome earn more."
    sentences, _ = chunk_document(doc(text), ChunkerConfig(), count_tokens)
    assert [(s.section, s.text) for s in sentences] == [
        ("Work Environment", "They work at a desk."),
        ("", "They earn $100."),
        ("", "Some earn more."),
    ]
    # Where Markdown headings mark the sections, a wide gap is only layout.
    sentences, _ = chunk_document(doc("## Pay\n\nThey earn $100.\n\n\nSome earn more."), ChunkerConfig(), count_tokens)
    assert {s.section for s in sentences} == {"Pay"}


def test_long_sentences_are_divided_into_clauses_of_some_length():
    long = (
        "He is responsible for the entire security structure within an organization and responds directly "
        "to the chief executive officer, chief administrative officer or the head of the legal counsel."
    )
    sentences = [Sentence("a.md", "", 0, 0, text, 0, "") for text in ("A short one, alone.", long)]
    assert clauses_of(sentences) == [
        Clause(1, "He is responsible for the entire security structure within an organization"),
        Clause(1, "and responds directly to the chief executive officer,"),
    ]  # "chief administrative officer" and "or the head of the legal counsel." are too short
