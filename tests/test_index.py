import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from csobot.acronyms import abbreviated
from csobot.chunking import VERSION as CHUNKER_VERSION
from csobot.embedding import Embedder, ModelSource
from csobot.errors import CsobotError
from csobot.index import FORMAT_VERSION, StoredIndex, build_index, read_as_questions_are, stale_reason
from csobot.lexical import LexicalIndex
from csobot.retrieval import Retriever

from .conftest import CORPUS, ROOT


def small_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nAlpha sentence one. Alpha sentence two.", encoding="utf-8")
    (folder / "b.txt").write_text("Bravo text about budgets and audits.", encoding="utf-8")
    return folder


def test_manifest_describes_the_build(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    stats = build_index(corpus, tmp_path / "index", model=embedder)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["model"]["sha256"] == embedder.source.sha256
    assert manifest["model"]["dimension"] == 384
    assert manifest["chunker"]["max_tokens"] == embedder.window - 2
    assert set(manifest["files"]) == {"a.md", "b.txt"}
    assert manifest["counts"] == {"files": 2, "chunks": stats.chunks, "sentences": stats.sentences}
    assert stats.embedded == stats.chunks + stats.sentences and stats.reused == 0
    assert not list(tmp_path.glob(".index*")), "no staging folder may be left behind"


def test_rebuild_embeds_only_what_changed(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", model=embedder)
    again = build_index(corpus, tmp_path / "index", model=embedder)
    assert again.embedded == 0 and again.reused == again.chunks + again.sentences
    (corpus / "c.md").write_text("Charlie adds one new sentence.", encoding="utf-8")
    grown = build_index(corpus, tmp_path / "index", model=embedder)
    assert grown.embedded == 2  # the new chunk and its one sentence
    assert grown.reused == again.chunks + again.sentences


def test_word_pieces_are_stored_and_reused_with_their_sentences(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", model=embedder)
    (corpus / "c.md").write_text("Charlie adds one new sentence.", encoding="utf-8")
    build_index(corpus, tmp_path / "index", model=embedder)
    stored = StoredIndex.load(tmp_path / "index")
    pieces = stored.sentence_pieces
    assert len(pieces) == len(stored.sentences) and pieces.vectors.dtype == np.float16
    texts = [s.embedding_input for s in stored.sentences]
    _, fresh = embedder.encode_with_pieces(texts)
    assert np.array_equal(pieces.ids, fresh.ids) and np.array_equal(pieces.offsets, fresh.offsets)
    assert np.allclose(pieces.vectors.astype(np.float32), fresh.vectors.astype(np.float32), atol=1e-2)


def test_clauses_of_long_sentences_are_stored_with_their_vectors_and_reused(tmp_path, embedder, monkeypatch):
    corpus = small_corpus(tmp_path / "corpus")
    long = "The team checks the books every quarter, and it publishes what it found in each review."
    (corpus / "c.md").write_text(long, encoding="utf-8")
    build_index(corpus, tmp_path / "index", model=embedder)
    stored = StoredIndex.load(tmp_path / "index")
    assert [c.text for c in stored.clauses] == ["and it publishes what it found in each review."]
    assert stored.sentences[stored.clauses[0].sentence].text == long
    assert np.allclose(stored.clause_vectors, embedder.encode([c.text for c in stored.clauses]), atol=1e-5)
    encoded = []
    monkeypatch.setattr(Embedder, "encode", lambda self, texts, **kw: encoded.extend(texts) or np.zeros((0, 0)))
    (corpus / "a.md").unlink()
    build_index(corpus, tmp_path / "index", model=embedder)
    assert encoded == []  # nothing new to embed: the clause's vector is taken over


def test_section_titles_are_stored_once_with_their_vectors_and_word_pieces(tmp_path, embedder, monkeypatch):
    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "c.md").write_text("# Alpha\n\nMore alpha.\n\n## Charlie\n\nCharlie text.", encoding="utf-8")
    build_index(corpus, tmp_path / "index", model=embedder)
    stored = StoredIndex.load(tmp_path / "index")
    assert stored.titles == ["Alpha", "Charlie"]
    vectors, pieces = embedder.encode_with_pieces(stored.titles)
    assert np.allclose(stored.title_vectors, vectors, atol=1e-5)
    assert np.array_equal(stored.title_pieces.ids, pieces.ids)
    assert np.array_equal(stored.title_pieces.offsets, pieces.offsets)
    encoded = []
    monkeypatch.setattr(Embedder, "encode", lambda self, texts, **kw: encoded.extend(texts) or np.zeros((0, 0)))
    monkeypatch.setattr(Embedder, "encode_with_pieces", lambda self, texts, **kw: encoded.extend(texts))
    (corpus / "a.md").unlink()
    build_index(corpus, tmp_path / "index", model=embedder)
    assert encoded == [] and StoredIndex.load(tmp_path / "index").titles == ["Alpha", "Charlie"]


def test_failed_build_leaves_previous_index_loadable(tmp_path, embedder, monkeypatch):
    corpus = small_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", model=embedder)
    before = (tmp_path / "index" / "chunks.jsonl").read_text()
    (corpus / "c.md").write_text("Something new.", encoding="utf-8")

    def broken_save(self, folder):
        (folder / "chunks.jsonl").write_text("half", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(StoredIndex, "save", broken_save)
    with pytest.raises(OSError):
        build_index(corpus, tmp_path / "index", model=embedder)
    monkeypatch.undo()
    assert (tmp_path / "index" / "chunks.jsonl").read_text() == before
    assert Retriever.load(tmp_path / "index", embedder).search("audits", k=1)[0].source == "b.txt"
    assert not list(tmp_path.glob(".index*"))


def test_stale_detection_follows_the_corpus(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    assert stale_reason(corpus, index, embedder) == "no index yet"
    build_index(corpus, index, model=embedder)
    assert stale_reason(corpus, index, embedder) is None
    (corpus / "b.txt").write_text("Changed.", encoding="utf-8")
    assert stale_reason(corpus, index, embedder) == "corpus changed"


def test_an_index_chunked_by_another_chunker_version_is_stale(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", model=embedder)
    manifest = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["chunker"]["version"] == CHUNKER_VERSION
    data["chunker"]["version"] = CHUNKER_VERSION - 1
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert stale_reason(corpus, tmp_path / "index", embedder) == "settings changed"


def test_committed_index_matches_the_shipped_corpus(embedder):
    reason = stale_reason(CORPUS, ROOT / "index", embedder)
    assert reason is None, f"index/ is stale ({reason}): run `csobot index build` and commit index/"


def test_index_from_another_model_or_format_is_refused(tmp_path, embedder):
    corpus = small_corpus(tmp_path / "corpus")
    build_index(corpus, tmp_path / "index", model=embedder)
    other = Embedder(embedder.model, ModelSource("someone/other-model", "someone/other-model", None))
    with pytest.raises(CsobotError, match=r"built with model .*csobot index build"):
        Retriever.load(tmp_path / "index", other)
    manifest = tmp_path / "index" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = FORMAT_VERSION + 1
    manifest.write_text(json.dumps(data))
    with pytest.raises(CsobotError, match="rebuild"):
        Retriever.load(tmp_path / "index", embedder)


def test_no_index_is_a_clear_error(tmp_path, embedder):
    with pytest.raises(CsobotError, match="no index"):
        Retriever.load(tmp_path / "missing", embedder)


def test_hnsw_factory_builds_a_searchable_index(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    build_index(corpus, tmp_path / "index", model=embedder, factory="HNSW32")
    assert json.loads((tmp_path / "index" / "manifest.json").read_text())["faiss_factory"] == "HNSW32"
    hits = Retriever.load(tmp_path / "index", embedder).search("average salary", k=2)
    assert "143,541" in hits[0].text


def test_vectors_are_reused_only_for_the_same_embedding_input(tmp_path, embedder, monkeypatch):
    from csobot import chunking

    corpus = small_corpus(tmp_path / "corpus")
    first = build_index(corpus, tmp_path / "index", model=embedder)
    monkeypatch.setattr(chunking, "sentence_embedding_input", lambda section, text: f"changed: {text}")
    again = build_index(corpus, tmp_path / "index", model=embedder)
    assert again.embedded == first.sentences and again.reused == first.chunks


def test_sentences_are_embedded_for_ranking_as_questions_are_read_without_the_topic(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = [
        "A chief security officer (CSO) leads teams.",
        "Every CSO has a degree.",
        "A CSO earns well.",
        "Travel is frequent.",
    ]
    for n, text in enumerate(texts):
        (corpus / f"{n}.md").write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index", model=embedder)
    stored = StoredIndex.load(tmp_path / "index")
    read = [read_as_questions_are(s.text, stored.lexical, stored.acronyms) for s in stored.sentences]
    assert read[1:] == ["Every has a degree.", "A earns well.", "Travel is frequent."]
    assert np.allclose(stored.sentence_topicless_vectors, embedder.encode(read), atol=1e-5)
    # The same sentences again: nothing to embed, the vectors as they were.
    again = build_index(corpus, tmp_path / "index", model=embedder)
    assert again.embedded == 0
    assert np.array_equal(
        StoredIndex.load(tmp_path / "index").sentence_topicless_vectors, stored.sentence_topicless_vectors
    )


def test_titles_are_embedded_as_questions_are_read_without_the_topic():
    acronyms = {"CSO": "chief security officer"}
    chunks = ["A chief security officer earns well.", "Every CSO needs a degree.", "A CSO travels to conferences."]
    lexical = LexicalIndex.build([abbreviated(c, acronyms) for c in chunks])  # as build_index indexes them
    assert read_as_questions_are("Becoming a Chief Security Officer", lexical, acronyms) == "Becoming a"
    assert read_as_questions_are("Salary", lexical, acronyms) == "Salary"
    # Nothing but the topic: the title says what the topic is, and is kept whole.
    assert read_as_questions_are("What is a CSO?", lexical, acronyms) == "What is a CSO?"
