from __future__ import annotations

import pytest

from bot.text import fold, strip_accents


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


def test_analyzer_lemmatises_and_stems_conjugated_verbs(analyzer):
    assert analyzer.terms("nous pilotons") == analyzer.terms("piloter")


def test_analyzer_splits_elisions(analyzer):
    assert analyzer.terms("l'interconnaissance") == analyzer.terms("interconnaissance")


def test_analyzer_drops_stop_words_and_punctuation(analyzer):
    assert analyzer.terms("Et donc, que faire ?!") == ["fair"]


def test_analyzer_keeps_words_officers_rely_on(analyzer):
    assert analyzer.terms("personne ne parle") == ["person", "parl"]
