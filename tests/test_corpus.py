import logging

import pytest

from csobot.corpus import load_corpus
from csobot.errors import CsobotError


def test_reads_txt_and_md_recursively_in_order(tmp_path):
    (tmp_path / "b.md").write_text("# B\n\nSecond.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("First.", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    documents, skipped = load_corpus(tmp_path)
    assert [d.path for d in documents] == ["b.md", "sub/a.txt"]
    assert documents[1].text == "First."
    assert skipped == []


def test_skips_empty_binary_and_non_utf8_files_with_a_warning(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("Fine text.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_corpus(tmp_path)
    assert [d.path for d in documents] == ["good.txt"]
    assert {(s.path, s.reason) for s in skipped} == {
        ("empty.txt", "empty"),
        ("image.md", "binary file"),
        ("latin1.txt", "not UTF-8"),
    }
    for name in ("empty.txt", "image.md", "latin1.txt"):
        assert name in caplog.text


def test_missing_folder_and_folder_without_text_are_clear_errors(tmp_path):
    with pytest.raises(CsobotError, match="not found"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "x.bin").write_bytes(b"\x00")
    with pytest.raises(CsobotError, match="no readable"):
        load_corpus(tmp_path)
