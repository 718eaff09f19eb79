import numpy as np

from csobot.lexical import LexicalIndex, Speller, terms

TEXTS = [
    "The average salary of an officer is high.",
    "Officers need certifications and a degree.",
    "Officers travel to conferences.",
]


def test_terms_drop_stop_words_and_stem():
    assert terms("What are the certifications officers need?") == ["certif", "offic", "need"]


def test_scores_are_shares_of_what_the_question_could_match():
    index = LexicalIndex.build(TEXTS)
    full = index.scores(terms("average salary"))
    assert full.argmax() == 0 and 0 < full[0] < 1 and full[1] == full[2] == 0
    # A question word the corpus lacks lowers every score: the corpus covers less of the question.
    partial = index.scores(terms("average salary bonus"))
    assert partial[0] < full[0]
    assert np.all(index.scores(terms("pizza recipe")) == 0)
    assert index.is_topic("offic") and not index.is_topic("salari")
    assert index.split_topic("Which officers earn a salary?") == (["Which", "earn", "a", "salary?"], ["officers"])


def test_speller_corrects_only_words_that_are_neither_in_the_corpus_nor_known():
    speller = Speller(TEXTS, known={"string": 1, "system": 2})
    assert speller.correct("which certifcations and sallary") == "which certifications and salary"
    assert speller.correct("a string system") == "a string system"


def test_a_slip_no_corpus_word_explains_becomes_the_commonest_known_word_it_may_be():
    # "reprot": "report" with two letters swapped, or "repot" with one left out; "report" is commoner.
    assert Speller(TEXTS, known={"report": 1, "repot": 2}).correct("reprot") == "report"
    assert Speller(TEXTS, known={"report": 2, "repot": 1}).correct("reprot") == "repot"
    speller = Speller(TEXTS, known={"report": 1, "mgm": 2, "equals": 3, "cents": 4})
    assert speller.correct("Reprot") == "Reprot", "a capitalised word is more likely a name"
    # Abbreviations are not slips: not shortened, nor given another first letter or another letter.
    assert speller.correct("mgmt quals certs") == "mgmt quals certs"


def test_speller_finds_the_corpus_word_a_word_is_or_misspells():
    speller = Speller(TEXTS)
    assert speller.closest("Certifcations") == "certifications"
    assert speller.closest("salary") == "salary"
    assert speller.closest("Microsoft") is None
