from __future__ import annotations

import pytest

from bot.text import FrenchLemmas, _decompose, fold, stem, strip_accents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Émergence", "emergence"),
        ("mise en œuvre", "mise en oeuvre"),
        ("l’interconnaissance", "l'interconnaissance"),
        ("repérer… les compétences ; les personnes", "reperer les competences les personnes"),
        ("« mariage forcé »", "mariage force"),
        ("  Élu / Technicien  ", "elu technicien"),
    ],
)
def test_fold_ignores_accents_case_and_punctuation(text, expected):
    assert fold(text) == expected


def test_strip_accents_keeps_letters():
    assert strip_accents("pérenniser à Noël") == "perenniser a Noel"


def test_strip_accents_fast_path_agrees_with_unicode_decomposition():
    """The translation table of Latin letters gives what Unicode's decomposition gives,
    including for letters it leaves to the slow path (« ǣ ») and combining marks."""
    text = "".join(chr(code) for code in range(0x20, 0x370)) + "e\u0301 ﬁn Œuvre ǣ 中"
    assert strip_accents(text) == _decompose(text)


def test_stems_are_snowball_french_from_its_c_implementation():
    """PyStemmer (requirements.txt) is what snowballstemmer hands out, and it stems as the
    pure-Python French algorithm does."""
    import snowballstemmer
    import Stemmer
    from snowballstemmer.french_stemmer import FrenchStemmer

    assert isinstance(snowballstemmer.stemmer("french"), Stemmer.Stemmer)
    words = ["cooperation", "cooperations", "piloter", "pilotons", "mefient", "elus", "gouvernance", "perenniser"]
    python_stemmer = FrenchStemmer()
    assert [stem(word) for word in words] == [python_stemmer.stemWord(word) for word in words]
    assert stem("communication") == "communic"  # the project's corrections still apply


def test_analyzer_lemmatises_and_stems_conjugated_verbs(analyzer):
    assert analyzer.terms("nous pilotons") == analyzer.terms("piloter")


def test_analyzer_splits_elisions(analyzer):
    assert analyzer.terms("l'interconnaissance") == analyzer.terms("interconnaissance")


def test_analyzer_drops_stop_words_and_punctuation(analyzer):
    assert analyzer.terms("Et donc, que faire ?!") == ["fair"]


def test_analyzer_keeps_words_officers_rely_on(analyzer):
    assert analyzer.terms("personne ne parle") == ["person", "parl"]


def test_analyzer_reads_words_typed_without_accents(analyzer):
    assert analyzer.terms("les elus se mefient") == analyzer.terms("les élus se méfient")


def test_analyzer_gives_both_readings_of_a_participle_that_is_also_a_noun(analyzer):
    assert analyzer.terms("les décisions prises") == ["decis", "pris", "prendr"]
    assert "prendr" in analyzer.terms("ils prennent")


def test_analyzer_candidates_are_the_lemmas_then_the_surface_form(analyzer):
    assert analyzer.term_variants("les elus bossent") == [["elu", "elir", "elus"], ["boss", "bossent"]]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Comités", ["comité"]),  # case is ignored
        ("comites", ["comité"]),  # accents restored when only one form folds to this spelling
        ("peche", ["peche"]),  # "pêche" and "péché" fold alike: left as typed
        ("pris", ["pris", "prendre"]),  # noun or adjective, and a form of a verb
        ("copil", ["copil"]),  # unknown words are their own lemma
    ],
)
def test_lemmas_from_tables(word, expected):
    lemmas = FrenchLemmas(
        {"comités": "comité", "pêche": "pêche", "péché": "pécher", "pris": "pris"},
        {"pris": "prendre", "comités": "comité"},
    )
    assert lemmas.of(word) == expected


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("les assos ont pas le tps", "les associations n'ont pas le temps"),
        ("leurs dispos", "leurs disponibilités"),
        ("jpilote ds mm temps", "je pilote dans même temps"),
        ("un pb de coop", "un problème de coopération"),
        ("pas de subv, le prez veut une delib", "pas de subvention, le président veut une délibération"),
        ("l'orga de la gouv entre techos", "l'organisation de la gouvernance entre techniciens"),
    ],
)
def test_analyzer_reads_chat_shorthand_as_the_words_it_stands_for(analyzer, typed, meant):
    assert analyzer.terms(typed) == analyzer.terms(meant)


def test_analyzer_leaves_words_that_only_look_like_shorthand(analyzer):
    assert analyzer.terms("le juge") == ["jug"]  # a real word starting with j, not « je uge »
