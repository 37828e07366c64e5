"""The advisor's decisions, on the real content, without Rasa."""

from __future__ import annotations

import pytest
import spacy

from bot import advisor
from bot.advisor import Advisor, Context, Turn
from bot.focus import clauses, kept_text
from bot.kb.service import KnowledgeBase
from bot.text import FrenchAnalyzer


@pytest.fixture(scope="module")
def decide(kb):
    return Advisor(kb).decide


def first(decision):
    return (decision.suggestions[0].mission.id if decision.suggestions else decision.mission.id) if decision else None


@pytest.mark.parametrize(
    ("text", "kept", "dropped"),
    [
        ("Pas de souci d'argent, c'est la gouvernance qui coince", "gouvernance", "argent"),
        ("Merci ! Autre chose : comment parler de la coopération aux habitants ?", "habitants", "Merci"),
        ("Le montage financier est bouclé, mais les deux maires se disputent", "maires", "financier"),
        ("On a déjà un chef de file. Par contre personne ne vient aux réunions", "réunions", "chef de file"),
        ("Les statuts, on verra plus tard. Comment mobiliser les habitants ?", "habitants", "statuts"),
        ("Ce n'est pas le budget qui coince, c'est la gouvernance", "gouvernance", "budget"),
        ("Je ne parle pas des financements, je voudrais savoir qui pilote", "pilote", "financements"),
        ("Le bilan ne m'intéresse pas pour l'instant ; comment animer le comité ?", "comité", "bilan"),
        ("Oubliez la question du chef de file, c'est réglé. Comment rapprocher les équipes ?", "équipes", "chef"),
        ("Laissons de côté le budget : comment mobiliser les habitants ?", "habitants", "budget"),
        ("Le plan d'action est clair, les objectifs aussi. Ce qui manque, c'est l'argent", "argent", "objectifs"),
        ("Le projet n'est pas imposé, ce n'est pas ça. On a du mal à savoir qui inviter", "inviter", "imposé"),
        ("Le vrai souci n'est pas le budget, c'est que personne ne pilote", "pilote", "budget"),
        ("Ce n'est pas tant la taille du comité qui bloque, c'est le manque de décisions", "décisions", "comité"),
        ("Ma question ne porte pas sur le budget, elle porte sur le calendrier", "calendrier", "budget"),
        ("On a réglé le choix du chef de file. Maintenant, comment répartir le travail ?", "répartir", "chef"),
        ("Merci pour tes conseils sur le budget. Autre sujet : comment animer le comité ?", "comité", "budget"),
        ("J'ai obtenu l'accord de principe des élus. Il faut trouver 200 000 euros", "euros", "accord"),
        (
            "Pas besoin de diagnostic, on connaît bien le territoire. Comment rapprocher les équipes ?",
            "équipes",
            "territoire",
        ),
    ],
)
def test_the_point_of_a_message_is_kept_and_the_topic_set_aside_dropped(text, kept, dropped):
    assert kept in kept_text(text) and dropped not in kept_text(text)
    assert all(clause.weight == 0 for clause in clauses(text) if dropped in clause.text)


def test_the_background_of_a_message_is_kept_for_the_classifier():
    text = "J'ai sept actions portées par des structures différentes. Mais je découvre les retards trop tard"
    assert [clause.weight for clause in clauses(text)] == [0.5, 1.0]
    assert "sept actions" in kept_text(text) and "retards" in kept_text(text)


def test_what_the_officer_says_they_master_badly_is_the_point():
    """What they know well is set aside like a topic settled."""
    text = "Je connais très bien le territoire. Ce que je maîtrise mal, c'est la gestion des désaccords"
    assert [clause.weight for clause in clauses(text)] == [0.0, 0.0, 1.0]


def test_pourtant_inside_a_sentence_does_not_bring_its_point():
    """« ils doivent pourtant siéger ensemble » goes on with the story; « , pourtant … » turns."""
    text = "Deux élus se détestent. Ils doivent pourtant siéger ensemble au comité syndical."
    assert [clause.weight for clause in clauses(text)] == [1.0, 1.0]
    assert [clause.weight for clause in clauses("Le projet avance, pourtant les élus doutent")] == [0.5, 1.0]


def test_a_problem_stated_with_a_negation_is_not_set_aside():
    assert [clause.weight for clause in clauses("les élus ne se parlent pas")] == [1.0]


def test_a_topic_set_aside_does_not_lead_the_advice(decide):
    decision = decide(Turn(advisor.SITUATION, "Aucun souci de financement, c'est la gouvernance qui coince"))
    assert decision.kind == advisor.SUGGEST and first(decision) == "build_governance"


@pytest.mark.parametrize("act", [advisor.OUT_OF_SCOPE, advisor.FALLBACK, advisor.MISSION])
def test_an_officers_question_is_never_refused(decide, act):
    decision = decide(Turn(act, "je change de poste dans deux mois, comment transmettre le dossier de la coop ?"))
    assert decision.kind != advisor.REFUSE


def test_a_message_the_filter_places_at_work_is_not_refused_when_the_base_matches_nothing(decide):
    """Words the base does not know are no proof the message is elsewhere when the relevance
    filter is sure it is about the work: the officer is asked to say it otherwise."""
    text = "les zorglubs du bidule sont xylophonés"
    assert decide(Turn(advisor.SITUATION, text, relevance=0.2)).kind == advisor.REFUSE
    assert decide(Turn(advisor.SITUATION, text, relevance=0.95)).kind != advisor.REFUSE


@pytest.mark.parametrize("act", [advisor.OUT_OF_SCOPE, advisor.FALLBACK])
def test_a_question_about_something_else_is_refused(decide, act):
    assert decide(Turn(act, "tu as une bonne recette de crêpes ?")).kind == advisor.REFUSE


def test_rank_after_the_overview_names_a_phase(decide):
    decision = decide(Turn(advisor.CHOOSE, "la deuxième", context=Context(last_list=advisor.LIST_PHASES)))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "emergence"


def test_rank_names_a_mission_of_the_list_shown(decide):
    context = Context(last_missions=("know_history", "know_territories"), last_list=advisor.LIST_MISSIONS)
    decision = decide(Turn(advisor.CHOOSE, "la 2e mission", context=context))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == "know_territories"


def test_numbers_in_a_described_situation_are_not_a_rank(decide):
    context = Context(last_missions=("know_history",), last_list=advisor.LIST_MISSIONS)
    text = "12 communes, 3 interco et personne pour piloter le projet"
    decision = decide(Turn(advisor.CHOOSE, text, context=context))
    assert decision.kind == advisor.SUGGEST


def test_a_short_follow_up_is_read_against_the_mission_discussed(decide):
    context = Context(current_mission="find_funding")
    decision = decide(Turn(advisor.FALLBACK, "c'est quoi les compétences derrière ?", context=context))
    assert decision.kind == advisor.FOLLOW_UP and decision.aspect == advisor.DETAILS
    assert decision.mission.id == "find_funding"


def test_which_phase_a_mission_belongs_to_is_a_when_question(decide):
    decision = decide(Turn(advisor.PHASES, "dans quelle phase on cherche le chef de file ?"))
    assert decision.kind == advisor.FOLLOW_UP and decision.aspect == advisor.WHEN
    assert decision.mission.id == "identify_lead_partner"


def test_a_question_on_the_phases_is_not_answered_with_one_mission(decide):
    assert decide(Turn(advisor.MISSION, "comment se déroule une coopération, étape par étape ?")).kind in (
        advisor.SHOW_PHASES,
        advisor.SHOW_PHASE,
    )


class CountingTokenizer:
    """spaCy's French tokenizer, counting the texts it is given."""

    def __init__(self) -> None:
        self.tokenizer = spacy.blank("fr").tokenizer
        self.texts = []

    def __call__(self, text):
        self.texts.append(text)
        return self.tokenizer(text)


@pytest.mark.parametrize(
    "message",
    ["les élus ne se parlent plus et personne ne veut piloter", "Pas de souci d'argent, mais les élus se méfient"],
)
def test_a_message_is_analysed_once(kb_url, message):
    """Deciding reads a message several ways (its clauses, its size, its known words, the
    search): each of its clauses is tokenised once, the whole message never again."""
    tokenizer = CountingTokenizer()
    kb = KnowledgeBase.from_url(kb_url, FrenchAnalyzer(tokenizer=tokenizer))
    Advisor(kb).decide(Turn(advisor.CHOOSE, "la deuxième"))  # loads the index and the reference words
    tokenizer.texts.clear()
    Advisor(kb).decide(Turn(advisor.FALLBACK, message))
    parts = [clause.text for clause in clauses(message)]
    assert all(tokenizer.texts.count(part) == 1 for part in parts)
    assert len(parts) == 1 or message not in tokenizer.texts


def test_a_rank_sentence_inside_a_longer_message_still_names_a_phase(decide):
    decision = decide(Turn(advisor.PHASE, "Après la mise en œuvre, il se passe quoi ? C'est quoi la dernière phase ?"))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "sustainability"


def test_a_question_on_the_job_that_names_a_part_of_the_map_gets_that_part(decide):
    assert decide(Turn(advisor.JOB, "c'est quoi le métier de chargée de coopération ?")).kind == advisor.SHOW_JOB
    assert decide(Turn(advisor.JOB, "en gros, mon job c'est quoi ?")).kind == advisor.SHOW_JOB
    decision = decide(Turn(advisor.JOB, "c'est quoi, au quotidien, trouver des financements pour la coopération ?"))
    assert (decision.kind, first(decision)) == (advisor.SHOW_MISSION, "find_funding")
    decision = decide(Turn(advisor.JOB, "et les missions transversales de ce métier ?"))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "transversal"


@pytest.mark.parametrize("act", [advisor.HOW, advisor.SITUATION, advisor.OUT_OF_SCOPE, advisor.FALLBACK])
def test_what_the_job_is_asked_in_the_officers_words_gets_the_job_whatever_the_nlu_read(decide, act):
    for text in (
        "je commence lundi comme chargée de coopération, concrètement je vais faire quoi ?",
        "on vient de me recruter comme chargé de coop dans une agglo, ça ressemble à quoi mon quotidien ?",
    ):
        assert decide(Turn(act, text)).kind == advisor.SHOW_JOB
    # The job named, but a difficulty told: advice on it.
    for text in (
        "En tant que chargé de coopération, c'est quoi la bonne façon de gérer un conflit entre deux maires ?",
        "Les élus se disputent tout le temps, je suis chargée de coopération, je vais faire quoi ?",
    ):
        assert decide(Turn(act, text)).kind != advisor.SHOW_JOB


def test_phase_names_match_with_or_without_the_apostrophe(kb):
    assert kb.find_phase("c'est quoi la phase d emergence ?").id == "emergence"
    assert kb.find_phase("au tout début, en phase d'émergence, on fait quoi ?").id == "emergence"


@pytest.mark.parametrize("act", [advisor.PHASES, advisor.FALLBACK, advisor.HOW, advisor.MISSION])
def test_this_phase_means_the_phase_just_shown(decide, act):
    """Whatever the NLU read, « cette phase » scopes the answer to the phase just shown; the
    word « phase » itself matches no mission."""
    context = Context(phase="emergence", last_list=advisor.LIST_MISSIONS)
    decision = decide(Turn(act, "et concrètement dans cette phase, pour les partenaires ?", context=context))
    assert decision.kind == advisor.SUGGEST
    assert {suggestion.mission.phase_id for suggestion in decision.suggestions} == {"emergence"}
    decision = decide(Turn(act, "et qu'est-ce qu'on fait à ce stade ?", context=context))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "emergence"


def test_a_rank_after_a_phase_chosen_from_the_overview_is_one_of_its_missions(decide):
    """The phase shown lists its missions: that is the list a bare rank refers to; a rank of
    phases says so."""
    missions = ("know_history", "know_territories", "know_stakeholders", "know_previous_projects",
                "understand_cooperation_nature", "grasp_complexity")  # fmt: skip
    context = Context(phase="prerequisites", last_list=advisor.LIST_MISSIONS, last_missions=missions)
    decision = decide(Turn(advisor.CHOOSE, "la sixième", rank="sixième", context=context))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == "grasp_complexity"
    decision = decide(Turn(advisor.CHOOSE, "et la 3 ?", rank="3", context=context))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == "know_stakeholders"
    decision = decide(Turn(advisor.CHOOSE, "La dernière mission de cette liste", context=context))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == "grasp_complexity"
    decision = decide(Turn(advisor.CHOOSE, "et la troisième phase ?", context=context))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "implementation"


@pytest.mark.parametrize(("text", "phase_id"), [("Le premier point, c'est quoi ?", "prerequisites"),
                                                ("Et le dernier point ?", "transversal")])  # fmt: skip
def test_a_point_of_the_overview_is_a_phase(decide, text, phase_id):
    decision = decide(Turn(advisor.CHOOSE, text, context=Context(last_list=advisor.LIST_PHASES)))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


def test_a_step_of_the_plan_is_one_of_its_missions_not_a_step_of_the_mission_discussed(decide):
    context = Context(
        current_mission="find_common_stakes",
        last_missions=("find_common_stakes", "focus_themes"),
        last_list=advisor.LIST_MISSIONS,
    )
    decision = decide(Turn(advisor.CHOOSE, "La première étape du plan, tu peux détailler ?", context=context))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == "find_common_stakes"
    decision = decide(Turn(advisor.CHOOSE, "l'étape 2", context=context))
    assert decision.kind == advisor.SHOW_STEP and decision.rank == 2


@pytest.mark.parametrize(
    ("text", "named", "phase_id"),
    [
        ("Avant même l'émergence du projet, quelles missions ?", "emergence", "prerequisites"),
        ("et après la mise en oeuvre, on fait quoi ?", "implementation", "sustainability"),
        ("c'est quoi la phase d'émergence ?", "emergence", "emergence"),
    ],
)
def test_a_phase_asked_before_or_after_another_is_its_neighbour(decide, text, named, phase_id):
    decision = decide(Turn(advisor.PHASE, text, phase_id=named))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


def test_next_after_a_phase_chosen_from_the_overview_is_the_next_phase(decide):
    context = Context(phase="prerequisites", last_list=advisor.LIST_PHASES)
    decision = decide(Turn(advisor.NEXT, "ok, et la suivante ?", context=context))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "emergence"


@pytest.mark.parametrize(
    ("text", "phase_id"),
    [
        ("Comment pérenniser une coopération ?", "sustainability"),
        ("les missions pour faire émerger un projet", "emergence"),
    ],
)
def test_a_message_that_names_only_a_phase_gets_that_phase(decide, text, phase_id):
    decision = decide(Turn(advisor.MISSION, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


def test_a_mission_named_with_a_phase_word_is_still_that_mission(decide):
    decision = decide(Turn(advisor.MISSION, "comment faire émerger une gouvernance ?"))
    assert first(decision) == "build_governance"


def test_the_grand_phases_are_the_overview_whatever_else_the_words_match(decide):
    decision = decide(
        Turn(advisor.PHASES, "tu peux me donner les grandes phases d'une coopération entre territoires ?")
    )
    assert decision.kind == advisor.SHOW_PHASES


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("projet coop qui part dans ts les sens, comment je coordonne tt ca", advisor.SUGGEST),
        ("Comment ça se passe une coopération, dans les grandes lignes ?", advisor.SHOW_PHASES),
        ("Par quoi on commence et par quoi on finit, dans une coopération ?", advisor.SHOW_PHASES),
    ],
)
def test_a_situation_read_as_phases_gets_advice_and_the_course_asked_gets_the_phases(decide, text, kind):
    assert decide(Turn(advisor.PHASES, text)).kind == kind


def test_a_question_on_something_else_read_as_phases_is_refused(decide):
    assert decide(Turn(advisor.PHASES, "Quelle est la capitale de l'Australie ?")).kind == advisor.REFUSE
    assert decide(Turn(advisor.PHASES, "il y a combien d'étapes ?")).kind == advisor.SHOW_PHASES


def test_a_rank_points_into_the_list_its_noun_names(kb, decide):
    missions = tuple(mission.id for mission in kb.list_missions("emergence", top_level=True))
    context = Context(last_list=advisor.LIST_MISSIONS, phase="emergence", last_missions=missions)
    decision = decide(Turn(advisor.CHOOSE, "la quatrième mission de cette phase ?", context=context))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == missions[3]


def test_the_mission_whose_title_is_written_beats_a_theme_the_nlu_saw_in_a_keyword(decide):
    turn = Turn(
        advisor.MISSION, "comment faire évoluer les équipes vers le mode projet ?", themes=("build_project_team",)
    )
    assert first(decide(turn)) == "develop_teams"


# -- the relevance filter (components/relevance.py) -------------------------------------------


@pytest.mark.parametrize("act", [advisor.SITUATION, advisor.MISSION, advisor.FALLBACK])
def test_a_message_the_relevance_filter_places_elsewhere_is_refused_despite_a_word_of_the_work(decide, act):
    """« conflit » is a word of the work, well matched by the base; the filter reads the rest."""
    text = "comment régler un conflit avec mon voisin à propos de son chien ?"
    assert decide(Turn(act, text, relevance=0.9)).kind != advisor.REFUSE
    assert decide(Turn(act, text, relevance=0.05)).kind == advisor.REFUSE


def test_the_relevance_filter_does_not_override_a_strong_match_of_the_knowledge_base(decide):
    text = "Comment identifier un chef de file pour notre coopération ?"
    assert decide(Turn(advisor.MISSION, text, relevance=0.1)).kind == advisor.SHOW_MISSION


def test_a_short_follow_up_on_a_mission_is_refused_only_when_the_filter_is_nearly_certain(decide):
    context = Context(current_mission="identify_lead_partner")
    follow_up = "et si la Région dit non ?"
    assert decide(Turn(advisor.SITUATION, follow_up, relevance=0.12, context=context)).kind != advisor.REFUSE
    assert decide(Turn(advisor.SITUATION, follow_up, relevance=0.12)).kind == advisor.REFUSE
    assert decide(Turn(advisor.SITUATION, follow_up, relevance=0.01, context=context)).kind == advisor.REFUSE


def test_a_sure_out_of_scope_reading_is_believed_against_a_base_that_is_not_certain(decide):
    """« gouvernance » matches the base well but not certainly; the NLU is sure and the filter
    leans out: refused. The same words with a filter that leans towards the work are not."""
    text = "Quelles sont les règles de gouvernance d'une SAS, faut-il un conseil d'administration ?"
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.25, confidence=0.95)).kind == advisor.REFUSE
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.25, confidence=0.6)).kind != advisor.REFUSE
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.45, confidence=0.95)).kind != advisor.REFUSE


@pytest.mark.parametrize("act", [advisor.MISSION, advisor.SITUATION, advisor.FALLBACK])
def test_one_word_of_the_work_among_words_the_base_does_not_know_is_refused_when_the_filter_doubts(decide, act):
    text = "comment marche la coopération entre les abeilles d'une ruche ?"
    assert decide(Turn(act, text, relevance=0.2)).kind == advisor.REFUSE
    assert decide(Turn(act, text, relevance=0.4)).kind != advisor.REFUSE
    # Words the base knows: the filter alone does not refuse.
    assert decide(Turn(act, "comment organiser la coopération entre nos élus ?", relevance=0.2)).kind != (
        advisor.REFUSE
    )


def test_both_models_sure_it_is_elsewhere_is_refused_however_well_the_base_matches(decide):
    """« gérer le conflit » matches the base above TRUSTED; the NLU and the filter both say the
    message is about something else."""
    text = "comment gérer le conflit avec mon beau-frère pour l'héritage ?"
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.02, confidence=0.97)).kind == advisor.REFUSE
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.02, confidence=0.6)).kind != advisor.REFUSE
    assert decide(Turn(advisor.MISSION, text, relevance=0.02)).kind != advisor.REFUSE


def test_a_missions_name_in_another_world_is_refused_when_both_models_lean_out(decide):
    """« chef de file » is a mission's name, matched above TRUSTED; the NLU (0.8) and the filter
    (0.15) both place the message in an election."""
    text = "qui est le chef de file de la liste aux municipales à Lyon ?"
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.15, confidence=0.8)).kind == advisor.REFUSE
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.3, confidence=0.8)).kind != advisor.REFUSE
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.15, confidence=0.6)).kind != advisor.REFUSE


def test_the_nlus_out_of_scope_gives_way_to_its_second_reading_when_the_filter_disagrees(decide):
    text = "c'est quoi le parcours habituel pour monter une coopération ?"
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.9, second_act=advisor.PHASES)).kind == (
        advisor.SHOW_PHASES
    )
    assert decide(Turn(advisor.OUT_OF_SCOPE, "tu as une bonne recette de crêpes ?", relevance=0.1)).kind == (
        advisor.REFUSE
    )


def test_an_aspect_of_the_mission_discussed_read_as_a_question_on_the_assistant_is_a_follow_up(decide):
    context = Context(current_mission="break_silos")
    decision = decide(Turn(advisor.CAPABILITIES, "et les compétences pour ça ?", context=context))
    assert (decision.kind, decision.mission.id, decision.aspect) == (advisor.FOLLOW_UP, "break_silos", advisor.DETAILS)
    assert decide(Turn(advisor.CAPABILITIES, "tu sais faire quoi ?", context=context)).kind == (
        advisor.SHOW_CAPABILITIES
    )


@pytest.mark.parametrize(
    ("text", "mission_id"),
    [
        ("copil et cotech pour notre coop à cinq, comment on organise la gouvernance ?", "build_governance"),
        ("on a un copil, comment je répartis qui fait quoi entre les techniciens ?", "organise_who_does_what"),
    ],
)
def test_a_keyword_the_nlu_tags_as_a_theme_does_not_outweigh_the_whole_question(decide, text, mission_id):
    """« copil » is a keyword of the inter-structure body: the lookup tables tag it as a theme,
    but the question is about something else."""
    decision = decide(Turn(advisor.MISSION, text, themes=("run_interstructure_body",)))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == mission_id


@pytest.mark.parametrize(
    ("act", "text", "confidence", "kind"),
    [
        (advisor.GREET, "bonjour", 0.99, advisor.GREETING),
        (advisor.THANK, "merci beaucoup", 0.99, advisor.THANKS),
        (advisor.GOODBYE, "bonne journée", 0.95, advisor.FAREWELL),
        (advisor.NOTHING_PENDING, "oui", 0.95, advisor.ANYTHING_ELSE),
        (advisor.NOTHING_PENDING, "conflits", 0.36, advisor.SUGGEST),
        (advisor.GREET, "évaluation coop", 0.37, advisor.SUGGEST),
        (advisor.NOTHING_PENDING, "bof", 0.4, advisor.ANYTHING_ELSE),
        (advisor.GOODBYE, "allez je vous laisse, le bus arrive", 0.4, advisor.FAREWELL),
        (advisor.THANK, "au revoir et merci pour les pistes sur le conflit", 0.39, advisor.THANKS),
    ],
)
def test_small_talk_gets_its_reply_unless_the_nlu_doubts_and_the_words_are_of_the_work(
    decide, act, text, confidence, kind
):
    assert decide(Turn(act, text, confidence=confidence)).kind == kind


@pytest.mark.parametrize("text", ["interconnaissance", "financements ?", "silo"])
def test_a_keyword_typed_alone_gets_its_mission_not_did_you_mean(decide, text):
    assert decide(Turn(advisor.FALLBACK, text, confidence=0.3, relevance=0.98)).kind == advisor.SUGGEST


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("est-ce que je parle à un robot ?", advisor.SHOW_IS_BOT),
        ("On est en fin de programme, qu'est-ce qui m'attend ?", advisor.SHOW_PHASE),
        ("qui va prendre le relais quand je passe la main à la rentrée ?", advisor.SUGGEST),
    ],
)
def test_a_question_on_the_work_read_as_are_you_a_robot_gets_advice(decide, text, kind):
    assert decide(Turn(advisor.IS_BOT, text)).kind == kind


@pytest.mark.parametrize(
    "text",
    ["jdois passer la main a qqn, comment faire", "comment je prépare mon départ ?", "je passe le flambeau en juin"],
)
def test_handing_over_said_in_the_officers_idioms_is_transferring_the_expertise(kb, text):
    assert kb.find_missions(text)[0].mission.id == "transfer_expertise"


def test_asking_to_be_helped_says_nothing_of_what_about(kb):
    """« tu peux m'aider à … » is a call for help: « aider » is not a word of a mission
    (accompanying the partners), and what follows it is the question."""
    assert "aid" not in kb._search_index().query_terms("tu peux m'aider à monter une gouvernance ?")
    assert kb.find_missions("tu peux m'aider à monter une gouvernance ?")[0].mission.id == "build_governance"


@pytest.mark.parametrize(
    ("act", "text", "aspect"),
    [
        (advisor.NEXT, "et les pièges ?", advisor.PITFALLS),
        (advisor.PITFALLS, "pourquoi faudrait-il commencer par là ?", advisor.WHY),
        (advisor.NEXT, "ok, et on fait quoi une fois que c'est fait ?", advisor.NEXT),
        (advisor.WHY, "pourquoi faut-il éviter ça ?", advisor.WHY),
    ],
)
def test_the_one_aspect_a_follow_up_names_beats_the_nlu_reading(decide, act, text, aspect):
    decision = decide(Turn(act, text, context=Context(current_mission="identify_lead_partner")))
    assert (decision.kind, decision.aspect) == (advisor.FOLLOW_UP, aspect)


def test_a_call_for_help_that_tells_a_situation_gets_advice_on_it(decide):
    """« help » reads as a question on the assistant; the situation told by a synonym
    (« se détestent ») is what the officer needs help with."""
    decision = decide(Turn(advisor.CAPABILITIES, "ya deux partenaires qui se detestent, help"))
    assert decision.kind == advisor.SUGGEST and first(decision) == "manage_conflicts"
    assert decide(Turn(advisor.CAPABILITIES, "tu peux m'aider sur quoi ?")).kind == advisor.SHOW_CAPABILITIES


def test_what_the_assistant_can_do_is_not_the_know_how_of_a_mission(decide):
    """« tu sais faire » asks about the assistant; « savoir-faire » is transferring the expertise."""
    text = "qu'est-ce que tu sais faire pour les chargées de coopération ?"
    assert decide(Turn(advisor.CAPABILITIES, text)).kind == advisor.SHOW_CAPABILITIES


@pytest.mark.parametrize(
    ("words", "index"),
    [("la sixième", 5), ("la onzième", 10), ("la 11", 10), ("la 7e", 6), ("la 12", 11), ("la dernière", -1)],
)
def test_ranks_reach_the_longest_list_the_assistant_shows(words, index):
    """The emergence phase lists twelve missions: every rank up to twelve is understood."""
    assert advisor.rank_index(None, advisor.fold(words).split()) == index


def test_the_eleventh_mission_of_a_phase_is_opened(decide):
    context = Context(
        last_list=advisor.LIST_MISSIONS, last_missions=tuple(f"m{i}" for i in range(10)) + ("identify_lead_partner",)
    )
    decision = decide(Turn(advisor.CHOOSE, "la onzième", context=context))
    assert (decision.kind, decision.mission.id) == (advisor.SHOW_MISSION, "identify_lead_partner")


@pytest.mark.parametrize("act", [advisor.HOW, advisor.FALLBACK, advisor.SITUATION])
def test_where_to_start_with_no_mission_discussed_is_the_first_phase(decide, act):
    decision = decide(Turn(act, "on commence par quoi ?", context=Context(last_list=advisor.LIST_PHASES)))
    assert (decision.kind, decision.phase.id) == (advisor.SHOW_PHASE, "prerequisites")
    on_a_mission = decide(Turn(act, "on commence par quoi ?", context=Context(current_mission="find_funding")))
    assert on_a_mission.kind != advisor.SHOW_PHASE and first(on_a_mission) == "find_funding"
    assert first(decide(Turn(act, "par où commencer pour trouver des financements ?"))) == "find_funding"
    arriving = decide(Turn(act, "et concrètement, par quoi on commence quand on arrive sur un poste comme ça ?"))
    assert (arriving.kind, arriving.phase.id) == (advisor.SHOW_PHASE, "prerequisites")
    # Where it starts and where it ends: the whole course.
    assert decide(Turn(act, "par quoi on commence et par quoi on termine dans une coopération ?")).kind == (
        advisor.SHOW_PHASES
    )


@pytest.mark.parametrize("act", [advisor.PHASES, advisor.SITUATION, advisor.FALLBACK, advisor.MISSION])
def test_a_question_on_the_whole_course_gets_the_phases_whatever_the_nlu_read(decide, act):
    assert decide(Turn(act, "tu me fais le déroulé général d'une coop entre deux territoires ?")).kind == (
        advisor.SHOW_PHASES
    )


@pytest.mark.parametrize(
    ("act", "text", "phase_id"),
    [
        (
            advisor.SITUATION,
            "Le projet démarre pour de vrai : que se joue-t-il dans cette phase de réalisation ?",
            "implementation",
        ),
        (advisor.MISSION, "c'est quoi au juste, l'étape de pérennisation ?", "sustainability"),
    ],
)
def test_a_question_on_a_phase_it_names_gets_that_phase(decide, act, text, phase_id):
    decision = decide(Turn(act, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


@pytest.mark.parametrize(
    ("text", "mission_ids"),
    [
        ("Pendant la phase d'émergence, comment trouver un chef de file ?", {"identify_lead_partner"}),
        ("dans la phase de mise en œuvre les partenaires ne viennent plus aux réunions, que faire ?", None),
    ],
)
def test_a_phase_named_beside_a_mission_or_a_situation_does_not_hide_it(decide, text, mission_ids):
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind != advisor.SHOW_PHASE
    assert mission_ids is None or first(decision) in mission_ids


@pytest.mark.parametrize("act", [advisor.SITUATION, advisor.MISSION, advisor.FALLBACK, advisor.HOW])
@pytest.mark.parametrize(
    ("text", "phase_id"),
    [
        ("Nos actions sont lancées depuis trois mois, qu'est-ce qui compte à ce stade ?", "implementation"),
        ("avant de se lancer, on doit regarder quoi ?", "prerequisites"),
        ("le projet prend forme avec les voisins : quelles sont mes missions ?", "emergence"),
        ("on a terminé la mise en œuvre, et maintenant ?", "sustainability"),
        ("quelles compétences je dois mobiliser, quelle que soit l'avancée du projet ?", "transversal"),
        ("On est en fin de programme, qu'est-ce qui m'attend ?", "sustainability"),
    ],
)
def test_what_to_do_at_a_stage_told_in_the_officers_words_gets_that_phase(decide, act, text, phase_id):
    decision = decide(Turn(act, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


def test_which_phase_am_i_in_is_answered_with_the_stage_told_whatever_else_it_says(decide):
    text = "On réunit les partenaires pour faire naître un projet commun : on est dans quelle phase ?"
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "emergence"


def test_a_difficulty_told_at_a_stage_is_still_a_situation(decide):
    text = "Nos actions sont lancées mais deux maires se disputent sans arrêt, que faire à ce stade ?"
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SUGGEST and first(decision) == "manage_conflicts"


@pytest.mark.parametrize(
    ("text", "phase_id"),
    [
        ("on en est à la réalisation, on prépare les réunions avec les partenaires : qu'est-ce qui nous attend ?",
         "implementation"),
        ("On réfléchit à peine, on a rencontré le maire voisin et la com com. On fait quoi maintenant ?",
         "prerequisites"),
        ("Au stade de l'émergence, au tout début donc, quelles sont les missions de cette étape ?", "emergence"),
    ],
)  # fmt: skip
def test_the_scene_set_around_a_stage_is_not_a_difficulty(decide, text, phase_id):
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


def test_a_stage_in_a_topic_set_aside_is_no_stage(decide):
    text = "Faut-il lancer une newsletter ? Laissons ça de côté : comment garder les élus motivés après cinq ans ?"
    assert decide(Turn(advisor.SITUATION, text)).kind != advisor.SHOW_PHASE


@pytest.mark.parametrize(
    ("text", "phase_id"),
    [
        ("Quand la convention est signée, on fait quoi ?", "implementation"),
        ("Nous voilà en pleine réalisation, des conseils ?", "implementation"),
        ("Au moment de faire naître le projet, j'y fais quoi ?", "emergence"),
    ],
)
def test_a_stage_told_by_when_or_asked_for_advice_is_a_stage(decide, text, phase_id):
    """« Quand … est signée » says when, not a topic set aside (bot.focus drops it from the
    search); « des conseils ? », « j'y fais quoi ? » ask what to do at that stage."""
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


@pytest.mark.parametrize(
    ("text", "phase_id"),
    [
        ("On cherche un chef de file entre nos trois intercos : on est dans quelle phase ?", "emergence"),
        ("on a bouclé la réalisation, on passe à quoi ?", "sustainability"),
    ],
)
def test_where_the_officer_stands_is_told_by_what_they_do(decide, text, phase_id):
    """Asked where they stand without naming a phase, the officer gets the phase of what they
    describe; a stage finished asks for the next one."""
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == phase_id


def test_a_question_on_a_stage_asked_in_one_clause_gets_the_stage_whatever_the_scene_before(decide):
    text = "Je découvre le territoire, ses élus et l'histoire des coopérations passées. Que faire en préalable ?"
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "prerequisites"


def test_a_phase_name_that_holds_a_question_word_asks_nothing(decide):
    """« la suite de la coopération » names the last phase; its « la suite » is not
    « et la suite ? »."""
    text = "Les élus n'ont rien compris au rapport technique et doivent décider de la suite de la coopération."
    assert decide(Turn(advisor.SITUATION, text)).kind != advisor.SHOW_PHASE


def test_a_how_question_beside_a_stage_is_a_question_of_its_own(decide):
    text = "On vient juste de démarrer, et maintenant comment préparer d'autres coopérations pour plus tard ?"
    decision = decide(Turn(advisor.SITUATION, text))
    assert decision.kind == advisor.SUGGEST and first(decision) == "spark_new_cooperations"


@pytest.mark.parametrize("act", [advisor.JOB, advisor.SITUATION])
def test_a_part_of_the_map_named_with_the_job_is_that_part(decide, act):
    decision = decide(Turn(act, "C'est quoi les missions transversales de ce métier ?"))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "transversal"


def test_a_mission_asked_beside_the_phase_named_is_that_mission(decide):
    decision = decide(Turn(advisor.PHASE, "Pour la mise en œuvre, comment on fixe des objectifs mesurables ?"))
    assert decision.kind == advisor.SHOW_MISSION and decision.mission.id == "set_objectives"
    decision = decide(Turn(advisor.PHASE, "Avant de commencer, que faut-il savoir du contexte ?"))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "prerequisites"


def test_the_missions_of_a_stage_asked_without_a_question_word_are_that_stage(decide):
    decision = decide(Turn(advisor.SITUATION, "les compétences qui servent tout du long ?"))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "transversal"
    # « tout le temps » is not a stage: « les élus changent tout le temps » is a situation.
    assert decide(Turn(advisor.SITUATION, "les élus changent tout le temps, que faire ?")).kind != advisor.SHOW_PHASE


def test_a_phase_name_keeps_every_and_whole_apart(kb):
    """« toute l'étape » (the whole of one) is not the alias « toutes les étapes » (every
    stage); the small words of a name may change (« du contexte » for « le contexte »)."""
    assert kb.match_phase("donne-moi toute l'étape") is None
    assert kb.find_phase("que faut-il connaître du contexte").id == "prerequisites"


@pytest.mark.parametrize(
    ("text", "mission_id"),
    [
        ("les deux présidents se sont accrochés en réunion", "manage_conflicts"),
        ("il faut remotiver les partenaires", "renew_mobilisation"),
        ("comment faire naître d'autres coopérations ?", "spark_new_cooperations"),
        ("comment construire une gouvernance ?", "build_governance"),
        ("comment lutter contre l'effet silo dans notre agglo ?", "break_silos"),  # its name
        ("pas de souci côté élus, par contre les agents traînent les pieds", "build_trust"),  # not a constraint
    ],
)
def test_the_officers_idioms_reach_their_mission(kb, text, mission_id):
    assert kb.find_missions(text)[0].mission.id == mission_id


def test_a_short_what_if_on_the_mission_discussed_gets_advice_not_did_you_mean(decide):
    context = Context(current_mission="identify_lead_partner", previous_text="comment identifier un chef de file ?")
    decision = decide(Turn(advisor.FALLBACK, "et si aucun ne veut ?", context=context, confidence=0.3))
    assert decision.kind == advisor.SUGGEST and first(decision) == "identify_lead_partner"


def test_a_doubtful_follow_up_reading_with_words_of_the_work_goes_to_the_search(decide):
    """« auprès des habitants surtout » read as « et ensuite ? » at 0.5 is about the mission
    discussed, not its next step; « et après ? » is still the next step."""
    context = Context(current_mission="communicate", previous_text="je dois communiquer sur notre coop")
    decision = decide(Turn(advisor.NEXT, "auprès des habitants surtout", context=context, confidence=0.5))
    assert decision.kind == advisor.SUGGEST and first(decision) == "communicate"
    decision = decide(Turn(advisor.NEXT, "et après ?", context=context, confidence=0.5))
    assert (decision.kind, decision.aspect) == (advisor.FOLLOW_UP, advisor.NEXT)


def test_the_course_asked_with_the_nlu_in_doubt_is_not_refused(decide):
    decision = decide(Turn(advisor.FALLBACK, "Quelles sont les grandes étapes ?", relevance=0.93, confidence=0.3))
    assert decision.kind == advisor.SHOW_PHASES


def test_who_should_lead_is_the_lead_partner_even_with_the_nlu_in_doubt(decide):
    decision = decide(Turn(advisor.FALLBACK, "Qui doit piloter notre projet ?", relevance=0.93, confidence=0.3))
    assert decision.kind == advisor.SUGGEST and first(decision) == "identify_lead_partner"


@pytest.mark.parametrize("act", [advisor.SITUATION, advisor.FALLBACK, advisor.MISSION])
def test_starting_a_whole_cooperation_however_said_gets_the_course(decide, act):
    text = "on débute une coopération entre deux villes, je sais pas par où commencer"
    assert decide(Turn(act, text)).kind == advisor.SHOW_PHASES


def test_idioms_of_a_quarrel_are_a_conflict(kb):
    for text in ("les deux maires se tirent dans les pattes", "nos partenaires se font la guerre depuis un an"):
        assert kb.find_missions(text)[0].mission.id == "manage_conflicts"


def test_launching_something_names_no_stage(kb):
    """The verb « lancer » is not the emergence's « lancement »: « on veut lancer d'autres
    coopérations » is about new cooperations, not about a stage."""
    assert kb.match_phase("on veut lancer une lettre d'information") is None
    assert kb.match_phase("on est en phase de lancement").phase.id == "emergence"


def test_phase_names_are_found_in_the_officers_wording(kb):
    """Inflected, with a word slipped in: « avant de se lancer » is the alias « avant de
    lancer », « nos actions sont lancées » the alias « actions lancées »."""
    assert kb.find_phase("avant de se lancer").id == "prerequisites"
    assert kb.find_phase("à la fin d'un projet").id == "sustainability"  # alias « fin du projet »
    match = kb.match_phase("Nos actions sont lancées depuis six mois")
    assert match.phase.id == "implementation" and (match.start, match.end) == (1, 4)


def test_the_phase_the_message_names_beats_the_nlu_reading(decide):
    text = "on en est au tout début : quelles sont les missions de la phase d'émergence ?"
    decision = decide(Turn(advisor.PHASE, text, phase_id="prerequisites"))
    assert decision.kind == advisor.SHOW_PHASE and decision.phase.id == "emergence"


def test_the_order_of_things_is_the_course_of_a_cooperation(decide):
    text = "Dans quel ordre on fait les choses quand on monte une coopération entre intercos ?"
    assert decide(Turn(advisor.SITUATION, text, relevance=0.9)).kind == advisor.SHOW_PHASES


def test_a_new_subject_during_a_conversation_is_not_a_follow_up(decide):
    """« Au fait » opens another subject: out of scope for both models, it is refused, not
    taken for « comment faire ? » on the mission discussed."""
    context = Context(current_mission="identify_lead_partner")
    text = "Au fait, tu sais comment réparer une fuite sous l'évier ?"
    assert decide(Turn(advisor.OUT_OF_SCOPE, text, relevance=0.23, confidence=0.96, context=context)).kind == (
        advisor.REFUSE
    )
    decision = decide(Turn(advisor.EXAMPLE, "au fait, un exemple ?", relevance=0.83, context=context))
    assert (decision.kind, decision.mission.id) == (advisor.FOLLOW_UP, "identify_lead_partner")


def test_a_follow_up_with_no_word_of_the_work_is_read_against_the_mission_discussed(decide):
    context = Context(current_mission="spot_skills_and_people", previous_text="Comment repérer les personnes fiables ?")
    turn = Turn(advisor.FALLBACK, "Et si je me trompe sur quelqu'un ?", relevance=0.46, confidence=0.3, context=context)
    decision = decide(turn)
    assert decision.kind == advisor.SUGGEST and first(decision) == "spot_skills_and_people"
    assert decide(Turn(advisor.FALLBACK, turn.text, relevance=0.46, confidence=0.3)).kind == advisor.REFUSE


def test_another_side_of_the_project_is_answered_for_itself(decide):
    """« Et côté financements ? » after a situation: the topic named leads, not the situation's
    words; « et côté élus ? » names no mission of its own and is read with the conversation."""
    context = Context(
        current_mission="focus_themes",
        previous_text="On lance une coopération sur la mobilité entre trois com com, les élus sont partants.",
    )
    for text in ("Et côté financements ?", "Et au niveau de la communication ?"):
        decision = decide(Turn(advisor.NEXT, text, relevance=0.9, confidence=0.46, context=context))
        assert decision.kind == advisor.SUGGEST and first(decision) in ("find_funding", "communicate")
    decision = decide(Turn(advisor.NEXT, "et côté élus ?", relevance=0.9, confidence=0.55, context=context))
    assert decision.kind == advisor.SUGGEST


def test_what_the_officer_does_not_want_to_happen_is_not_set_aside():
    """« je ne veux pas que tout se perde » is a worry; « je ne veux pas parler du budget » sets
    the budget aside."""
    assert clauses("Je pars bientôt. Je ne veux pas que tout se perde.")[1].weight > 0
    assert clauses("Je ne veux pas parler du budget. Comment animer le comité ?")[0].weight == 0
