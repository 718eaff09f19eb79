from csobot.acronyms import abbreviated, find_acronyms, spelled_out
from csobot.lexical import STOPWORDS


def test_definitions_are_found_when_the_initials_spell_the_acronym():
    text = (
        "A chief security officer (CSO) reports to the board. The Department of Defense (DoD) agrees. "
        "Prices rose (SHARPLY) and the (AFC) won."
    )
    assert find_acronyms([text]) == {"CSO": "chief security officer", "DoD": "Department of Defense"}


def test_long_forms_and_plurals_become_the_acronym():
    acronyms = {"CSO": "chief security officer", "IT": "information technology"}
    assert abbreviated("Chief Security Officers and cso pay; CSOs earn", acronyms) == "CSO and CSO pay; CSO earn"
    # Two-letter acronyms match only as written: "it" stays a pronoun.
    assert abbreviated("it is IT, information technology", acronyms) == "it is IT, IT"


def test_an_acronym_the_corpus_only_spells_out_becomes_its_phrase():
    corpus = (
        "She reports to the chief executive officer. Teams conduct independent security audits; "
        "a Certified Information Systems Auditor checks them, and GIAC certifies. It is highly respected."
    )
    words = {w.lower() for w in corpus.replace(".", " ").replace(";", " ").replace(",", " ").split()}

    def spell(text):
        return spelled_out(text, corpus, words, STOPWORDS)

    assert spell("Who is the CEO?") == "Who is the chief executive officer?"
    assert spell("Is CISA worth it?") == "Is Certified Information Systems Auditor worth it?"  # a name first
    assert spell("What is GIAC?") == "What is GIAC?"  # the corpus uses it
    assert spell("Ask HR or the XYZ.") == "Ask HR or the XYZ."  # two letters are too few; no phrase spells XYZ
