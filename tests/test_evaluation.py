import json

import pytest

from csobot.answer import Chatbot
from csobot.errors import CsobotError
from csobot.evaluation import QACase, evaluate_qa, evaluate_squad, load_qa, mid_chat, misspelt

from .conftest import ROOT


def test_dev_qa_set_parses_and_covers_every_kind():
    cases = load_qa(ROOT / "eval" / "cso-dev.jsonl")
    assert len(cases) >= 60
    assert {c.kind for c in cases} >= {"direct", "paraphrase", "typo", "terse", "followup", "offtopic"}
    assert all(c.facts for c in cases if not c.abstain)


def test_qa_report_counts_hits_and_declines(tmp_path, corpus_index, embedder):
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {"question": "What is the average salary?", "facts": ["143,541"]},
                {"question": "What is the capital of France?", "facts": [], "abstain": True},
                {"question": "What is the average salary?", "facts": ["a fact no answer holds"]},
            ]
        ),
        encoding="utf-8",
    )
    report = evaluate_qa(Chatbot.load(corpus_index, embedder), load_qa(qa))
    assert report["fact_hit"] == 0.5
    assert report["declined_off_topic"] == 1.0 and report["declined_in_scope"] == 0
    assert [f["question"] for f in report["failures"]] == ["What is the average salary?"]
    assert report["ask_ms_p50"] > 0 and report["encode_ms_p50"] > 0


def test_squad_report_on_a_tiny_set(tmp_path, embedder):
    squad = {
        "data": [
            {
                "title": "Tiny",
                "paragraphs": [
                    {
                        "context": "The Zephyr bridge was opened in 1931. It spans the Orin river.",
                        "qas": [
                            {"question": "When was the Zephyr bridge opened?", "answers": [{"text": "1931"}]},
                            {"question": "Which river does it span?", "answers": [{"text": "Orin"}]},
                            {"question": "When did Picasso paint the bridge?", "answers": [], "is_impossible": True},
                        ],
                    },
                    {"context": "Bakers in the valley sell rye bread every morning.", "qas": []},
                ],
            }
        ]
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    report = evaluate_squad(path, embedder)
    assert report["questions"] == 2 and report["impossible"] == 1
    assert report["declined_answerable"] == 0.0 and report["declined_impossible"] == 1.0
    assert report["passage_hit@1"] == 1.0 and 0.0 <= report["answer_hit"] <= 1.0
    assert report["encode_ms_p50"] > 0 and report["ask_over_encode"] > 0


def test_misspelt_questions_differ_by_a_typo_in_up_to_two_long_words():
    cases = load_qa(ROOT / "eval" / "cso-dev.jsonl")
    typed = misspelt(cases, seed=7)
    assert typed == misspelt(cases, seed=7) != misspelt(cases, seed=8), "the seed alone decides"
    changed = 0
    for case, typo in zip(cases, typed, strict=True):
        assert (typo.facts, typo.abstain, typo.history, typo.kind) == (
            case.facts,
            case.abstain,
            case.history,
            case.kind,
        )
        words = list(zip(case.question.split(), typo.question.split(), strict=True))
        hit = [(a, b) for a, b in words if a != b]
        assert len(hit) <= 2 and all(a[0] == b[0] and abs(len(a) - len(b)) <= 1 for a, b in hit), case.question
        changed += bool(hit)
    assert changed > 0.9 * len(cases)
    assert misspelt([QACase("What is a CSO?", [])], seed=1)[0].question == "What is a CSO?", "no word to misspell"


def test_mid_chat_asks_each_question_after_another_and_its_answer(corpus_index, embedder):
    bot = Chatbot.load(corpus_index, embedder)
    cases = [
        QACase("How much does a CSO earn?", [["143,541"]]),
        QACase("What is the capital of France?", [], abstain=True),
        QACase("And at most?", [["300,000"]], history=[{"role": "user", "content": "What do CSOs earn?"}]),
    ]
    chatted = mid_chat(bot, cases)
    assert chatted[2] == cases[2], "a follow-up keeps its own history"
    for case, asked in zip(cases[:2], chatted[:2], strict=True):
        before, answer = asked.history
        assert (asked.question, asked.facts, asked.abstain) == (case.question, case.facts, case.abstain)
        assert before["role"] == "user" and before["content"] in {c.question for c in cases} - {case.question}
        assert answer == {"role": "assistant", "content": bot.ask(before["content"]).text}
    report = evaluate_qa(bot, chatted)
    assert report["fact_hit"] == 1.0 and report["declined_off_topic"] == 1.0


def test_malformed_qa_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"facts": []}\n', encoding="utf-8")
    with pytest.raises(CsobotError, match=r"bad\.jsonl:1"):
        load_qa(bad)
