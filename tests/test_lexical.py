import numpy as np

from csobot.lexical import LexicalIndex, Speller, english_words, terms

TEXTS = [
    "The average salary of an officer is high.",
    "Officers need certifications and a degree.",
    "Officers travel to conferences.",
]


def test_terms_drop_stop_words_and_stem():
    assert terms("What are the certifications officers need?") == ["certif", "offic", "need"]
    # Contractions typed without the apostrophe are stop words too.
    assert terms("whats the pay, dont they earn") == terms("what's the pay, don't they earn") == ["pay", "earn"]
    # So are words saying how the asker feels about asking.
    assert terms("Honestly, what do they actually earn?") == ["earn"]
    # And pronouns standing for whatever is asked about.
    assert terms("Anything about the thinking side?") == ["think", "side"]


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
    # A sentence's end stays with what is kept: the question still ends where it did.
    kept, _ = index.split_topic("What do they pay officers? I am new.")
    assert kept == ["What", "do", "they", "pay?", "I", "am", "new."]
    assert index.split_topic("Who pays officers?")[0] == ["Who", "pays"]  # where no sentence follows, it is not moved


def test_speller_corrects_only_words_that_are_neither_in_the_corpus_nor_known():
    speller = Speller(TEXTS, known={"string"}, dictionary={"system": 5000})
    assert speller.correct("which certifcations and sallary") == "which certifications and salary"
    assert speller.correct("a string system") == "a string system"


def test_a_slip_no_corpus_word_explains_becomes_the_commonest_dictionary_word_it_may_be():
    # "reprot": "report" with two letters swapped, or "repot" with one left out; "report" is commoner.
    assert Speller(TEXTS, dictionary={"report": 9000, "repot": 2000}).correct("reprot") == "report"
    assert Speller(TEXTS, dictionary={"report": 2000, "repot": 9000}).correct("reprot") == "repot"
    speller = Speller(TEXTS, dictionary={"report": 9000, "mgm": 9000, "equals": 9000, "cents": 9000, "amin": 81})
    assert speller.correct("a Reprot") == "a Reprot", "a capitalised word is more likely a name…"
    assert speller.correct("Reprot? Reprot") == "Report? Report", "…but for a sentence's first, capitalised by custom"
    # Three letters are a slip only as two last letters swapped into a common word…
    speller = Speller(TEXTS, dictionary={"how": 90000, "hers": 9000, "plus": 9000})
    assert speller.correct("hwo many hrs pls") == "how many hrs pls"
    # …or as a stop word missing a letter, when that word is far commoner than the three letters and
    # than a common word: "wat" is a word too (dictionary counts from pyspellchecker's list).
    speller = Speller(TEXTS, known={"wat", "uni"}, dictionary={"what": 17_078_939, "wat": 680, "uni": 996})
    assert speller.correct("wat is a uni degree worth, hrs and all") == "what is a uni degree worth, hrs and all"
    assert Speller(TEXTS, dictionary={"when": 9000}).correct("whn") == "whn"  # not 1,000 times a common word
    # Any word far commoner, not only a stop word: "lik" is "like" (the counts are pyspellchecker's).
    speller = Speller(TEXTS, dictionary={"like": 8_895_851, "uni": 996, "unit": 47_000})
    assert speller.correct("what is a work day lik at uni") == "what is a work day like at uni"
    # Abbreviations are not slips: not shortened, nor given another first letter, nor made a rare
    # word; one cut short from a corpus word ("certs" of "certifications") is not given another letter.
    assert speller.correct("mgmt quals certs admin") == "mgmt quals certs admin"


def test_a_word_typed_without_its_apostrophe_is_the_far_commoner_contraction():
    counts = {"what's": 1_928_976, "whats": 6_856, "don't": 11_033_335, "it's": 6_293_925, "its": 559_181}
    speller = Speller(TEXTS, dictionary={**counts, "ill": 27_197, "i'll": 465_128})
    assert speller.correct("Whats the pay, i dont know") == "What's the pay, i don't know"
    assert speller.correct("its pay, if ill") == "its pay, if ill", "words in their own right, commoner than that"


def test_a_real_word_where_a_question_wants_its_verb_is_the_auxiliary_it_slips_for():
    """ "dose" is a word, but not between "who" and the subject: there it is "does"."""
    speller = Speller(TEXTS, dictionary=english_words())
    assert speller.correct("who dose the officer answer to") == "who does the officer answer to"
    assert speller.correct("HOW MUCH DOSE A CSO MAKE") == "HOW MUCH DOES A CSO MAKE"
    for question in ("Which dose of aspirin is safe?", "What info does an officer need?", "what car does he drive"):
        assert speller.correct(question) == question


def test_of_several_slips_the_one_nearest_the_corpus_is_meant():
    """ "daties": "dates" with a letter left out, "duties" with another; a corpus about a job means duties."""
    dictionary = {"dates": 18000, "duties": 12000}
    assert Speller(TEXTS, dictionary=dictionary).correct("daties") == "dates", "the commoner, without relevance"
    near_the_corpus = {"dates": 0.1, "duties": 0.4}
    speller = Speller(TEXTS, dictionary=dictionary, relevance=lambda ws: np.array([near_the_corpus[w] for w in ws]))
    assert speller.correct("the main daties") == "the main duties"


def test_a_word_that_is_no_word_is_the_corpus_word_it_is_nearly():
    """ "saery" is too unlike "salary" to be taken for it as a name, but it is no word at all."""
    speller = Speller(TEXTS)
    assert speller.closest("saery") is None
    assert speller.correct("the saery of an officer") == "the salary of an officer"
    assert speller.correct("the Saery of an officer") == "the Saery of an officer", "a capitalised word may be a name"
    # A word one slip away is likelier meant than a corpus word it is only like.
    assert Speller(TEXTS, dictionary={"orders": 50000}).correct("who gives oriers") == "who gives orders"
    assert Speller(TEXTS).correct("who gives oriers") == "who gives officers"


def test_the_english_dictionary_knows_real_words_the_model_splits():
    words = english_words()
    assert {"router", "boast", "report"} <= words.keys() and "reprot" not in words
    assert Speller(TEXTS, dictionary=words).correct("a router and a reprot") == "a router and a report"


def test_a_word_the_dictionary_barely_knows_is_read_as_the_slip_it_likely_is():
    """ "sills" is listed, at the list's floor: in a corpus about the skills officers need, it is a slip."""
    words = english_words()
    assert words["sills"] <= Speller.RARE < words["router"]
    speller = Speller([*TEXTS, "Officers need communication skills."], dictionary=words)
    assert speller.correct("officer sills and a router") == "officer skills and a router"


def test_speller_finds_the_corpus_word_a_word_is_or_misspells():
    speller = Speller(TEXTS)
    assert speller.closest("Certifcations") == "certifications"
    assert speller.closest("salary") == "salary"
    assert speller.closest("Microsoft") is None


def test_a_slip_is_read_as_the_word_nearest_the_corpus_of_those_it_may_be(embedder):
    """ "skijs" is one slip from "skies" but, in a corpus about skills, meant for "skills"; "postgradugte" is
    a slip for a word the model knows, though the dictionary counts it rare."""
    texts = ["Officers need communication skills and a degree."]
    centre = embedder.encode(texts)[0]
    speller = Speller(texts, embedder.known_words(), english_words(), lambda words: embedder.encode(words) @ centre)
    assert speller.correct("what skijs and which postgradugte degree") == "what skills and which postgraduate degree"
    # Not a corpus word three slips away, however near the corpus: "effecive" is "effective", not "executive".
    executive = Speller([*texts, "An executive."], embedder.known_words(), english_words(), speller.relevance)
    assert executive.correct("effecive") == "effective"
