"""The `csobot` command, run as users run it: through main(), with its exit codes and output."""

import json
import shutil
import sys

import pytest

from csobot.cli import main

from .conftest import CORPUS


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["csobot", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
        sys.exit(0)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_index_build_then_search(tmp_path, monkeypatch, capsys):
    shutil.copytree(CORPUS, tmp_path / "corpus")
    (tmp_path / "corpus" / "blob.txt").write_bytes(b"\x00\x01binary")
    index = str(tmp_path / "index")
    code, out, err = run(monkeypatch, capsys, "index", "build", "--corpus", str(tmp_path / "corpus"), "--index", index)
    assert code == 0
    assert "indexed 1 files" in out and "embedded" in out and "reused" in out
    assert "skipped blob.txt: binary file" in err

    code, out, _ = run(monkeypatch, capsys, "search", "How much does a CSO earn?", "-k", "2", "--index", index)
    assert code == 0
    assert out.startswith(" 1. score") and "$143,541" in out.split(" 2. score")[0]

    code, out, _ = run(monkeypatch, capsys, "search", "certifications", "--json", "-k", "3", "--index", index)
    hits = json.loads(out)
    assert code == 0 and len(hits) == 3
    assert {"text", "score", "source", "section"} <= set(hits[0])


def test_ask_prints_the_answer_then_its_numbered_sources(corpus_index, monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "ask", "How much does a CSO earn?", "--index", str(corpus_index))
    answer, sources = out.split("\n\n[1] ")
    assert code == 0 and "$143,541" in answer and "[1]" in answer
    assert sources.startswith("cso-role.md") and "score" in sources

    question = ["ask", "How much does a CSO earn?", "--index", str(corpus_index), "--json"]
    code, out, _ = run(monkeypatch, capsys, *question, "--max-words", "30")
    short = json.loads(out)
    assert code == 0 and not short["abstained"] and short["sources"]
    assert len(short["text"].split()) <= 30 < len(answer.split())


def test_eval_asks_mid_chat_only_when_told(tmp_path, corpus_index, monkeypatch, capsys):
    """ "And at most?" alone asks nothing; after "How much does a CSO earn?" (seven lines on, wrapping) it
    asks for the top salary."""
    qa = tmp_path / "qa.jsonl"
    rows = [{"question": "And at most?", "facts": ["300,000"]}, {"question": "How much does a CSO earn?", "facts": []}]
    qa.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    reports = []
    for extra in ([], ["--mid-chat"]):
        code, out, _ = run(monkeypatch, capsys, "eval", "--qa", str(qa), "--index", str(corpus_index), "--json", *extra)
        assert code == 0
        reports.append(json.loads(out))
    assert reports[0]["fact_hit"] == 0.5 and reports[1]["fact_hit"] == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "  "], "the question is empty"),
        (["index", "build", "--corpus", "/no/such/folder"], "corpus folder not found"),
        (["search", "pay", "--index", "/no/such/index"], "no index at"),
        (["search", "pay", "-k", "0"], "-k"),
        (["ask", "  "], "the question is empty"),
        (["ask", "pay", "--max-words", "0"], "--max-words"),
        (["eval", "--squad", "/no/such/file.json", "--typos", "1"], "--typos, --mid-chat and --max-words go with --qa"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(monkeypatch, capsys, args, message):
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_help_documents_every_command(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "--help")
    assert code == 0
    for command in ("index", "search"):
        assert command in out
