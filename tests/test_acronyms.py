from csobot.acronyms import abbreviated, find_acronyms


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
