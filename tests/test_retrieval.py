import numpy as np
import pytest

from csobot.answer import COVERED_FROM
from csobot.errors import CsobotError
from csobot.index import build_index
from csobot.retrieval import Retriever, asked, asks_for_ending

# Each question, and a phrase only the passage that answers it holds (read off the article).
QUESTIONS = [
    ("How much does a CSO earn?", "average salary per year"),
    ("What degree do I need to become a CSO?", "bachelor"),
    ("Which certifications help a chief security officer?", "Certified Information Systems Auditor"),
    ("What skills does a CSO need?", "analytical and critical thinking"),
    ("What are the key responsibilities of a CSO?", "independent security audits"),
    ("What is the work environment of a CSO like?", "behind a computer"),
    ("What experience is required?", "leadership experience"),
    ("Does a CSO report to the CEO?", "chief executive officer"),  # the article never writes "CEO"
]


@pytest.fixture(scope="module")
def retriever(corpus_index, embedder):
    return Retriever.load(corpus_index, embedder)


@pytest.mark.parametrize(("question", "phrase"), QUESTIONS)
def test_the_answering_passage_comes_first(retriever, question, phrase):
    hits = retriever.search(question, k=3)
    assert phrase.lower() in hits[0].text.lower(), [h.section for h in hits]


def test_salary_passage_first_in_the_raw_article(raw_index, embedder):
    hits = Retriever.load(raw_index, embedder).search("How much does a CSO earn?", k=3)
    assert "$143,541" in hits[0].text


def test_hits_carry_their_provenance(retriever):
    hits = retriever.search("average salary", k=5)
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    top = hits[0]
    assert top.source == "cso-role.md" and top.section == "Salary"
    source_text = retriever.stored.chunks[top.chunk].text
    assert top.text == source_text and top.end - top.start == len(top.text)


def test_scores_compare_across_queries(retriever):
    on_topic = retriever.search("What is the average salary?", k=1)[0].score
    off_topic = retriever.search("What is the capital of France?", k=1)[0].score
    assert on_topic > off_topic + 0.1


def test_topic_words_and_typos_are_handled_by_the_query(retriever):
    query = retriever.query("What certifcations does a chief security officer need?")
    assert "certif" in query.terms and "certifications" in query.text, "misspellings are corrected"
    assert "environment" in retriever.rewrite("Work Enviroment")[0], "against headings too"
    # A slip the article has no word for is read as the English word nearest what it is about.
    assert retriever.rewrite("What are the main daties of a CSO?")[0] == "What are the main duties of a CSO?"
    assert retriever.rewrite("whats the avegre saery")[0] == "what's the average salary"
    assert retriever.rewrite("Hwo much does a CSO make?")[0] == "How much does a CSO make?", "the first word too"
    assert retriever.rewrite("How does a CSO differ from a CISO?")[0].endswith("CISO?"), "no misspelt CSO"
    assert "cso" not in query.terms, "the corpus's topic says nothing about which passage answers"
    assert np.isclose(np.linalg.norm(query.vector), 1.0, atol=1e-4)
    # A request opening the question says how to answer, not what about.
    assert retriever.query("Can you tell me about CSO salaries?").terms == ["salari"]
    assert retriever.query("Describe the CSO.").about_topic
    # So do nouns asking what a thing is, wherever they stand; "define" only opening a question.
    for question in ("cso definition", "What is the meaning of CSO?", "define cso", "CSO overview"):
        assert retriever.query(question).about_topic, question
    assert "defin" in retriever.query("Do they define security goals?").terms
    # A modal beside the topic asks nothing of its own; elsewhere it does ("might attend" matches "may attend").
    assert retriever.query("What would a CSO do?").about_topic
    assert "might" in retriever.query("What events might a CSO attend?").terms


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        # Earning in idiom, as the plain verb; "take in" is no earning.
        ("What factors decide how much money a CSO takes home?", "What factors decide how much money a CSO earns?"),
        ("Are they raking in more?", "Are they earning more?"),
        ("Does a CSO take in consultants?", "Does a CSO take in consultants?"),
        # A word the model knows only in pieces, in the corpus's form; known whole, it keeps its meaning.
        ("Do they have to be persuasive?", "Do they have to be persuade?"),
        ("Is a criminology degree useful?", "Is a criminal degree useful?"),
        ("What is the minimum salary?", "What is the minimum salary?"),
        # Time passed is time spent, but not an exam passed.
        ("Where do they pass most of the year?", "Where do they spend most of the year?"),
        ("He passed two years in the police.", "He spent two years in the police."),
        ("Can I pass the exam within a year?", "Can I pass the exam within a year?"),
        # A day asked about whole is time spent; a when, a how often, a count are left alone.
        ("What is a typical day for a CSO?", "What is a typical time spent for a CSO?"),
        ("What's a day in the life of a CSO?", "What's the time spent of a CSO?"),
        ("What does a CSO do all day?", "What does a CSO do all the time?"),
        ("Where do they spend most of the workday?", "Where do they spend most of their time?"),
        ("Could I be a CSO one day?", "Could I be a CSO one day?"),
        ("What tools does a CSO use every day?", "What tools does a CSO use every day?"),
        ("How many vacation days?", "How many vacation days?"),
        # Work done day to day is the work done.
        ("What does the CSO do day to day?", "What does the CSO do?"),
        ("What are the day-to-day duties of a CSO?", "What are the duties of a CSO?"),
        ("What does a CSO do on a daily basis?", "What does a CSO do?"),
        ("What's the daily grind of a CSO?", "What's the time spent of a CSO?"),
    ],
)
def test_a_question_is_read_in_plain_words(retriever, asked, read):
    assert retriever.rewrite(asked)[0] == read


@pytest.mark.parametrize(
    "question",
    [
        "Could you break down her main responsibilities for me?",
        "Can you walk me through her main responsibilities?",
        "Do you know her main responsibilities?",
        "Mind telling me her main responsibilities?",
        "I'd like to know her main responsibilities?",
        "I was wondering her main responsibilities?",
    ],
)
def test_a_request_and_whom_it_is_for_are_no_part_of_what_is_asked(retriever, question):
    assert retriever.rewrite(question)[1] == ["her", "main", "responsibilities?"]


@pytest.mark.parametrize(
    "question",
    [
        "In a nutshell, what are her main responsibilities?",
        "What are her main responsibilities, in one line?",
        "In simple terms, what are her main responsibilities?",
        "Briefly, what are her main responsibilities?",
    ],
)
def test_how_short_or_plain_an_answer_is_wanted_is_no_part_of_what_is_asked(retriever, question):
    assert [w.lower() for w in retriever.rewrite(question)[1]] == ["what", "are", "her", "main", "responsibilities?"]


@pytest.mark.parametrize(
    "question",
    [
        "random q but what are her main responsibilities or nah?",
        "quick question, what are her main responsibilities lol",
        "just curious, what are her main responsibilities, tbh",
    ],
)
def test_chat_asides_are_no_part_of_what_is_asked(retriever, question):
    assert [w.lower().strip(",?") for w in retriever.rewrite(question)[1]] == [
        "what",
        "are",
        "her",
        "main",
        "responsibilities",
    ]


def test_an_acknowledgement_opening_a_question_is_no_part_of_what_is_asked(retriever):
    assert retriever.rewrite("ok, what about their schooling")[1] == ["what", "about", "their", "schooling"]
    assert retriever.rewrite("Thanks! And who do they report to?")[1] == ["And", "who", "do", "they", "report", "to?"]
    # A greeting opens a question asked fresh, and stays; so does a word only opening like one.
    assert retriever.rewrite("Hello, what do they earn?")[1][0] == "Hello,"
    assert retriever.rewrite("okra prices")[1] == ["okra", "prices"]


def test_a_shortage_is_no_request_for_a_short_answer(retriever):
    assert retriever.rewrite("Are CSOs in short supply?")[1] == ["Are", "in", "short", "supply?"]


def test_whom_a_request_is_for_is_dropped_only_when_said_last(retriever):
    assert retriever.rewrite("What is a CSO responsible for?")[1][-1] == "for?"
    assert "me" in retriever.rewrite("Is a CSO job for me or for a lawyer?")[1]


@pytest.mark.parametrize(
    ("question", "asking"),
    [
        ("Do CSOs travel? thx", "Do CSOs travel?"),
        ("Hi! Do CSOs travel? Thanks so much", "Do CSOs travel?"),
        ("what degree i need? i am from Brazil", "what degree i need?"),
        ("Do CSOs travel? and what about pay", "Do CSOs travel? and what about pay"),
    ],
)
def test_what_is_asked_leaves_out_the_statements_and_thanks_around_it(question, asking):
    assert asked(question) == asking


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Summarize the article's conclusion.", True),
        ("According to the conclusion, what could happen?", True),
        ("What are the closing thoughts?", True),
        ("How does the article sum up the pay at the end?", True),
        ("How does the article wrap up its description of the CSO?", True),
        ("How does the post end?", True),
        ("How does a CSO wrap up a meeting?", False),  # a wrap-up of no document
        ("Does the article say when the war will end?", False),
        ("What happens at the end?", False),  # the end of what the documents name, not of them
        ("What happens at the end of the year?", False),
        ("What conclusion can be drawn for P?", False),
        ("What is the conclusion of the trial?", False),
    ],
)
def test_what_asks_for_the_documents_ending(question, asks):
    assert asks_for_ending(question) is asks


def test_looks_like_asks_for_a_description_and_is_no_part_of_what_is_asked(retriever):
    assert "like" not in retriever.query("What does a typical working day look like for a CSO?").text
    assert "like" not in retriever.query("What is the work environment of a CSO like?").text
    assert "like" in retriever.query("Would I like being a CSO?").text


def test_where_any_job_is_done_is_no_part_of_what_is_asked(retriever):
    assert retriever.rewrite("What does a CSO do in a company?")[1] == ["What", "does", "a", "do?"]
    assert retriever.rewrite("who does a cso answer to at work")[1] == ["who", "does", "a", "answer", "to"]
    assert "companies?" in retriever.rewrite("What do CSOs earn at multinational companies?")[1]
    assert retriever.rewrite("What does a CSO do in company?")[1] == ["What", "does", "a", "do?"]


def test_the_job_the_topic_names_is_the_topic(retriever):
    for question in ("What is the job of a CSO?", "What is a CSO's role?", "Describe the CSO position."):
        assert retriever.query(question).about_topic, question
    # Not a job to be had, nor another's: "land a CSO job" asks about getting one.
    assert "job" in retriever.query("Can I land a CSO job with a diploma?").terms
    assert "job" in retriever.query("What is the minimum degree to get a job as a CSO?").terms
    assert "job" in retriever.query("What is the job of a nurse?").terms
    assert "job" in retriever.query("What is job of nurse?").terms


def test_stands_for_asks_what_the_topic_is_but_not_what_another_name_is(retriever):
    assert retriever.query("cso stands for?").about_topic
    # "What does AFC stand for?" is answered by "The American Football Conference (AFC)…", matched by all of it.
    assert "stand" in retriever.query("What does GIAC stand for?").terms
    # So is one good at it; not what makes one good.
    assert "good" not in retriever.query("What skills does a good CSO need?").terms
    assert "good" in retriever.query("What makes a good CSO?").terms
    assert "good" in retriever.query("Is a good degree needed?").terms


def test_a_corpus_writing_of_days_keeps_its_day(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ward.txt").write_text("A nurse's day starts with the handover at seven.", encoding="utf-8")
    build_index(corpus, tmp_path / "index", model=embedder)
    retriever = Retriever.load(tmp_path / "index", embedder)
    assert retriever.rewrite("What is a typical day for a nurse?")[0] == "What is a typical day for a nurse?"


def test_empty_question_and_bad_k_are_refused(retriever):
    with pytest.raises(CsobotError):
        retriever.search("   ")
    with pytest.raises(CsobotError):
        retriever.search("pay", k=0)


def test_word_piece_match_credits_a_word_the_sentence_lacks(corpus_index, embedder):
    """'wages' is in no sentence; the pay sentences still match it better than the rest."""
    retriever = Retriever.load(corpus_index, embedder)
    query = retriever.query("wages")
    sentences = retriever.stored.sentences
    match = retriever.piece_match(query, np.arange(len(sentences)))
    best = sentences[int(np.argmax(match.per_sentence))]
    assert best.section == "Salary", best.text
    assert not any("wage" in s.text.lower() for s in sentences)


def test_coverage_is_how_much_of_the_question_the_sentences_hold(corpus_index, embedder):
    retriever = Retriever.load(corpus_index, embedder)
    everything = np.arange(len(retriever.stored.sentences))

    def match(question):
        return retriever.piece_match(retriever.query(question), everything)

    held, absent = match("salary and certifications"), match("the population of Tokyo")
    assert held.coverage >= held.per_sentence.max()  # the sentences between them hold more than any one
    assert held.coverage > 0.8 and absent.coverage < COVERED_FROM


def test_coverage_counts_what_the_sentences_headings_hold(headed_index, embedder):
    """ "Winter care" is written only in the heading over the sentences that say what it involves."""
    retriever = Retriever.load(headed_index, embedder)
    query = retriever.query("What does winter care require?")
    winter = np.array([i for i, s in enumerate(retriever.stored.sentences) if s.section == "Winter Care"])
    assert retriever.piece_match(query, winter).coverage < COVERED_FROM <= retriever.coverage(query, winter)
    absent = retriever.query("What is the population of Tokyo?")
    assert retriever.coverage(absent, np.arange(len(retriever.stored.sentences))) < COVERED_FROM


def test_scores_are_bounded_and_ordered_for_any_k(corpus_index, embedder):
    retriever = Retriever.load(corpus_index, embedder)
    for k in (1, 3, len(retriever), len(retriever) + 5):
        hits = retriever.search("How much does a CSO earn?", k=k)
        assert len(hits) == min(k, len(retriever))
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    assert "143,541" in retriever.search("How much does a CSO earn?", k=1)[0].text


def test_words_wholly_off_the_corpus_subject_are_foreign(retriever):
    assert retriever.foreign("photosynthesis?") and retriever.foreign("recipes for dinner")
    assert not retriever.foreign("beginners?"), "near enough to what the corpus says of newcomers"
    assert not retriever.foreign("photosynthesis in companies"), "one word near the corpus is enough"
    assert not retriever.foreign("?"), "no content word, nothing foreign"


def test_names_the_corpus_never_writes_are_unfamiliar(retriever):
    assert retriever.query("Who is the CSO of Microsoft? And of Google’s parent?").unfamiliar == ("Microsoft", "Google")
    assert retriever.query("How does a CSO differ from a CISO?").unfamiliar == ("CISO",)
    assert retriever.query("Does a CSO need the CISSP?").unfamiliar == ("CISSP",)
    assert retriever.query("I'm new here. Does a CSO need the CISSP?").unfamiliar == ("CISSP",)
    assert retriever.query("Does a CSO need an MBA or an MSc?").unfamiliar == ("MBA", "MSc")
    # Written by the corpus in any inflection or close spelling, a sentence's first word, a short
    # acronym ("IT"), or any word of a question in title case: not names to decline for.
    for question in (
        "Does Payscale list CSOs? Certificates from GIAC?",
        "Apart from IT certifications, what else?",
        "Microsoft pays how much?",
        "What Makes A Good Chief Security Officer?",
        "HOW MUCH DOES A CSO MAKE?",  # shouted: capitals tell no name apart
        "I want to APPLY: what degree does a CSO need?",  # a common word in capitals is emphasis
        "I'm from Brazil. What experience does a CSO need?",  # a preamble says who asks, not what about
        "what degree does a cso need? i am from Brazil",  # nor what the asker says of themselves after it
        "Do I need a PhD to become a CSO?",  # another word for "doctorate", which the corpus writes
    ):
        assert retriever.query(question).unfamiliar == (), question


def test_kin_of_the_topic_named_without_it_are_unfamiliar(retriever):
    """The corpus is about the chief security officer: another chief officer is not its subject."""
    assert retriever.query("What does a chief financial officer do?").unfamiliar == ("chief financial officer",)
    assert retriever.query("What does the CEO do?").unfamiliar == ("chief executive officer",)  # spelled out
    assert retriever.query("Does a chief security officer report to the CEO?").unfamiliar == ()
    # By an acronym the corpus never writes, the same: without the topic its subject, beside it what it is set against.
    assert "CFO" in retriever.query("How much does a CFO earn?").unfamiliar
    assert retriever.query("Does a chief security officer report to the CFO?").unfamiliar == ()
    assert retriever.query("Is a CSO the same as a CISO?").unfamiliar == ("CISO",)  # no C?O
    # Named in a preamble, it is who asks, not whom about.
    asked_by_kin = "As a CEO I'm nervous about overspending. How is our top protection executive to balance costs?"
    assert retriever.query(asked_by_kin).unfamiliar == ()


def test_another_of_the_topics_kind_asked_about_is_a_stranger(retriever):
    """A job the corpus never names, in a question naming nothing of its own topic, is another job."""
    assert retriever.strangers("How much does a high school teacher earn per year?") == ("high school teacher",)
    assert retriever.query("What is the salary of a nurse?").unfamiliar == ("nurse",)
    assert retriever.strangers("What degree do I need to become a veterinarian?") == ("veterinarian",)
    # Run on into a verb the corpus never writes, or asked of them all.
    assert retriever.strangers("How much does a nurse make?") == ("nurse",)
    assert retriever.strangers("How much do plumbers make?") == ("plumbers",)
    # Or named with a word before it that makes the whole read less like a job than its head alone.
    assert retriever.strangers("How much does a registered nurse make per year?") == ("nurse",)
    for question in (
        "How much does a CSO earn? And a nurse?",  # the topic named: a comparison it may partly answer
        "Is a bachelor's enough?",  # the corpus's word
        "What do these execs take home?",  # "executives", cut short
        "Is a postgraduate degree needed?",  # unknown, but no job
        "What does a newbie earn?",
    ):
        assert retriever.strangers(question) == (), question


def test_a_corpus_without_a_topic_has_no_strangers(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Bees make honey in hives.\n\nThe queen lays the eggs.", encoding="utf-8")
    (corpus / "b.txt").write_text("Rivers carry water to the sea.\n\nFloods follow heavy rain.", encoding="utf-8")
    build_index(corpus, tmp_path / "index", model=embedder)
    retriever = Retriever.load(tmp_path / "index", embedder)
    assert retriever.topic_text == ""
    assert retriever.strangers("What does a beekeeper earn?") == ()
