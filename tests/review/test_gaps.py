"""The knowledge-gap report: each signal, what is not a gap, the themes (by mission, by shared
terms), the weekly counts, and the page behind the login."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
import yaml
from sqlalchemy import select

from bot.review import accounts, gaps
from bot.review.annotations import annotate
from bot.review.display import DOMAIN
from bot.review.gap_pages import MAX_WEEKS, criteria_from_query
from bot.review.gaps import GapCriteria, Vocabulary, gap_report, title_phrases
from bot.review.models import Conversation, Turn
from tests.review.conftest import insert_events
from tests.review.test_web import PASSWORD, log_in, run

UTC = timezone.utc
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # ISO week 45
PERIOD = GapCriteria(date(2026, 11, 2), date(2026, 11, 22))  # weeks 45, 46, 47
VOCABULARY = Vocabulary(["élus", "convention", "chef de file", "séminaire", "temps fort"])
DID_YOU_MEAN = ["identify_lead_partner", "lead_project"]
TITLES = {"identify_lead_partner": "Identifier un chef de file", "lead_project": "Conduire le projet"}


class Talk:
    """Events of one conversation as Rasa 3.6 writes them."""

    def __init__(self, start: datetime = MONDAY) -> None:
        self.time = start.timestamp()
        self.events: List[Dict[str, Any]] = []
        self.add("action", {"name": "action_session_start"})
        self.add("action", {"name": "action_listen"})

    def add(self, type_name: str, data: Dict[str, Any]) -> Talk:
        self.time += 1.0
        self.events.append(
            {
                "type_name": type_name,
                "timestamp": self.time,
                "intent_name": None,
                "action_name": data.get("name") if type_name == "action" else None,
                "data": {"event": type_name, "timestamp": self.time, **data},
            }
        )
        return self

    def at(self, moment: datetime) -> Talk:
        self.time = moment.timestamp()
        return self

    def user(self, text: str, intent: str, confidence: float = 0.95, entities=()) -> Talk:
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": list(entities), "text": text}
        return self.add("user", {"text": text, "parse_data": parse, "input_channel": "rest"})

    def reply(self, action: str, response: str, text: str = "…", buttons=(), **slots) -> Talk:
        self.add("action", {"name": action})
        self.add(
            "bot",
            {
                "text": text,
                "data": {"buttons": [{"title": title, "payload": payload} for title, payload in buttons]},
                "metadata": {"utter_action": response},
            },
        )
        for name, value in slots.items():
            self.add("slot", {"name": name, "value": value})
        return self.add("action", {"name": "action_listen"})

    def mission(self, mission: str = "identify_lead_partner") -> Talk:
        return self.reply("action_explain_mission", "utter_mission", text="**Chef de file**", current_mission=mission)

    def did_you_mean(self) -> Talk:
        buttons = [(TITLES[m], f'/ask_mission{{"mission": "{m}"}}') for m in DID_YOU_MEAN]
        return self.reply(
            "action_clarify", "utter_did_you_mean", "Vouliez-vous parler de…", buttons, last_missions=DID_YOU_MEAN
        )


def index(store, *talks: Talk) -> None:
    for number, talk in enumerate(talks):
        insert_events(store, f"sender-{number}", talk.events)
    store.refresh()


def report(store, criteria: GapCriteria = PERIOD, vocabulary: Vocabulary = VOCABULARY) -> gaps.GapReport:
    with store.session() as session:
        return gap_report(session, criteria, vocabulary, zone=UTC)


def reported(result: gaps.GapReport) -> Dict[str, tuple]:
    """Each reported message's text → its signals."""
    found = {}
    for theme in (*result.missions, *result.unmatched):
        assert len(theme.examples) == min(theme.total, gaps.EXAMPLES)
        for example in theme.examples:
            found[example.text] = example.signals
    return found


def annotate_turn(store, text: Optional[str], reason: str, state: str = "anomaly", bot_after: bool = True) -> None:
    """Annotate the user turn with this text, or the bot turn that answers it."""
    with store.session() as session:
        user = session.execute(select(Turn).where(Turn.text == text)).scalar_one()
        turn = user
        if bot_after:
            turn = session.execute(
                select(Turn).where(Turn.conversation_id == user.conversation_id, Turn.position == user.position + 1)
            ).scalar_one()
        annotate(session, turn.event_id, state=state, reason=reason, author="alice")
        session.commit()


@pytest.mark.parametrize(
    "talk, signal",
    [
        (
            Talk()
            .user("Qui doit piloter notre projet ?", "nlu_fallback", 0.3)
            .reply("action_clarify", "utter_ask_rephrase"),
            gaps.FALLBACK,
        ),
        (
            Talk().user("blabla financement", "affirm", 0.42).reply("utter_anything_else", "utter_anything_else"),
            gaps.LOW_CONFIDENCE_SIGNAL,
        ),
        (
            Talk()
            .user("Les élus refusent de signer", "out_of_scope", 0.7)
            .reply("action_out_of_scope", "utter_out_of_scope"),
            gaps.OUT_OF_SCOPE,
        ),
        (
            Talk().user("Qui pilote ?", "nlu_fallback", 0.3).did_you_mean().user("pourquoi ?", "ask_why"),
            gaps.DID_YOU_MEAN_IGNORED,
        ),
        (Talk().user("Qui pilote ?", "nlu_fallback", 0.3).did_you_mean(), gaps.DID_YOU_MEAN_IGNORED),
        (
            Talk()
            .user("On veut monter une coopérative", "describe_situation")
            .reply("action_suggest_next_steps", "utter_no_suggestion"),
            gaps.NO_ANSWER,
        ),
        (
            Talk().user("Rasa fonctionne ?", "ask_mission", 0.95).reply("action_default_fallback", "utter_default"),
            gaps.FALLBACK,
        ),
    ],
    ids=[
        "fallback",
        "low-confidence",
        "out-of-scope-in-scope-word",
        "did-you-mean-ignored",
        "did-you-mean-left",
        "no-answer",
        "core-fallback",
    ],
)
def test_each_signal_is_detected(store, talk, signal):
    index(store, talk)
    result = reported(report(store))
    assert len(result) == 1
    assert signal in next(iter(result.values()))


@pytest.mark.parametrize("reason", ["incomplete", "inaccurate"])
@pytest.mark.parametrize("on_answer", [True, False])
def test_incomplete_or_inaccurate_annotation_is_a_gap(store, reason, on_answer):
    index(store, Talk().user("Comment identifier un chef de file ?", "ask_mission").mission())
    assert reported(report(store)) == {}
    annotate_turn(store, "Comment identifier un chef de file ?", reason, bot_after=on_answer)
    result = report(store)
    assert reported(result) == {"Comment identifier un chef de file ?": (gaps.ANNOTATED,)}
    assert [theme.mission for theme in result.missions] == ["identify_lead_partner"]


@pytest.mark.parametrize("reason, state", [("misunderstood", "anomaly"), ("incomplete", "resolved")])
def test_other_or_resolved_annotations_are_not_gaps(store, reason, state):
    index(store, Talk().user("Comment identifier un chef de file ?", "ask_mission").mission())
    annotate_turn(store, "Comment identifier un chef de file ?", reason, state=state)
    assert reported(report(store)) == {}


def test_good_answers_are_not_reported(store):
    good = (
        Talk()
        .user("Bonjour", "greet", 0.98)
        .reply("utter_greet", "utter_greet")
        .user("Comment identifier un chef de file ?", "ask_mission", 0.93)
        .mission()
        # Out of scope with no word of the knowledge base: rightly refused.
        .user("Quel temps fera-t-il demain ?", "out_of_scope", 0.8)
        .reply("action_out_of_scope", "utter_out_of_scope")
        # A form reads its answers with slot mappings: a low intent confidence is no gap.
        .user("je veux faire un diagnostic", "start_diagnostic", 0.99)
        .reply("utter_diagnostic_start", "utter_diagnostic_start")
        .user("émergence", "affirm", 0.31)
        .reply("diagnostic_form", "utter_ask_diag_partners")
    )
    index(store, good)
    result = report(store)
    assert reported(result) == {}
    assert result.user_messages == 5 and result.gap_messages == 0


@pytest.mark.parametrize(
    "follow",
    [
        lambda talk: talk.user('/ask_mission{"mission": "lead_project"}', "ask_mission", 1.0).mission("lead_project"),
        lambda talk: talk.user(
            "conduire le projet", "ask_mission", 0.9, [{"entity": "mission", "value": "lead_project"}]
        ).mission("lead_project"),
        lambda talk: talk.user("Identifier un chef de file", "ask_mission", 0.6).reply(
            "utter_anything_else", "utter_anything_else"
        ),
        lambda talk: talk.user("la deuxième", "choose_option", 0.9).mission("lead_project"),
    ],
    ids=["button-payload", "mission-entity", "button-title", "rank"],
)
def test_did_you_mean_taken_is_not_ignored(store, follow):
    index(store, follow(Talk().user("Qui pilote ?", "nlu_fallback", 0.3).did_you_mean()))
    signals = reported(report(store))["Qui pilote ?"]
    assert signals == (gaps.FALLBACK,)


def test_did_you_mean_offered_again_is_ignored(store):
    talk = Talk().user("Qui pilote ?", "nlu_fallback", 0.3).did_you_mean()
    index(store, talk.user("euh", "nlu_fallback", 0.3).did_you_mean())
    assert gaps.DID_YOU_MEAN_IGNORED in reported(report(store))["Qui pilote ?"]


def test_messages_go_to_the_mission_the_answer_cited_first(store):
    index(
        store,
        Talk().user("Qui pilote ?", "nlu_fallback", 0.3).did_you_mean(),
        Talk().user("le chef de file c'est qui", "ask_mission", 0.4).mission("identify_lead_partner"),
        Talk().user("on gère comment le projet", "ask_mission", 0.45).mission("lead_project"),
    )
    result = report(store)
    assert [(theme.mission, theme.total, theme.conversations) for theme in result.missions] == [
        ("identify_lead_partner", 2, 2),
        ("lead_project", 1, 1),
    ]
    assert result.unmatched == ()
    lead = result.missions[0]
    assert dict(lead.signals) == {gaps.FALLBACK: 1, gaps.DID_YOU_MEAN_IGNORED: 1, gaps.LOW_CONFIDENCE_SIGNAL: 1}


def test_messages_matching_no_mission_are_grouped_by_shared_terms(store):
    rephrase = ("action_clarify", "utter_ask_rephrase")
    index(
        store,
        Talk().user("Comment trouver un chef de file ?", "nlu_fallback", 0.3).reply(*rephrase),
        Talk().user("le chef de file est parti", "nlu_fallback", 0.3).reply(*rephrase),
        Talk().user("chef de file introuvable", "nlu_fallback", 0.3).reply(*rephrase),
        Talk().user("Un chef cuisinier pour le séminaire ?", "nlu_fallback", 0.3).reply(*rephrase),
        Talk().user("organiser un séminaire des élus", "nlu_fallback", 0.3).reply(*rephrase),
        Talk().user("recette de la tarte aux pommes", "nlu_fallback", 0.3).reply(*rephrase),
    )
    result = report(store)
    assert result.missions == ()
    themes = [(theme.terms, theme.total) for theme in result.unmatched]
    # « chef » is shared by four messages, but the pair « chef de file » by three makes the first
    # theme (a pair beats a word at equal count, and the cook's message is left for the seminar).
    assert themes == [(("chef de file",), 3), (("séminaire",), 2), ((), 1)]
    assert result.unmatched[-1].key == gaps.OTHER_THEME
    assert {example.text for example in result.unmatched[1].examples} == {
        "Un chef cuisinier pour le séminaire ?",
        "organiser un séminaire des élus",
    }


def test_counts_per_iso_week_over_the_period_only(store):
    talk = Talk(MONDAY - timedelta(days=3))
    talk.user("avant la période", "nlu_fallback", 0.3).reply("action_clarify", "utter_ask_rephrase")
    for day in (0, 1, 8, 16, 20, 25):  # weeks 45, 45, 46, 47, 47, then after the period
        talk.at(MONDAY + timedelta(days=day)).user(f"question {day}", "nlu_fallback", 0.3)
        talk.reply("action_clarify", "utter_ask_rephrase")
    index(store, talk)
    result = report(store)
    assert [week.number for week in result.weeks] == [45, 46, 47]
    (theme,) = result.unmatched
    assert theme.total == 5 and theme.weekly == (2, 1, 2)
    assert result.user_messages == 5
    assert [example.text for example in theme.examples] == [f"question {day}" for day in (20, 16, 8, 1, 0)]


def test_signal_filter_keeps_only_that_signal(store):
    index(
        store,
        Talk().user("Qui pilote ?", "nlu_fallback", 0.3).reply("action_clarify", "utter_ask_rephrase"),
        Talk().user("blabla", "affirm", 0.4).reply("utter_anything_else", "utter_anything_else"),
    )
    result = report(store, GapCriteria(PERIOD.date_from, PERIOD.date_to, signal=gaps.LOW_CONFIDENCE_SIGNAL))
    assert list(reported(result)) == ["blabla"]
    lower = report(store, GapCriteria(PERIOD.date_from, PERIOD.date_to, confidence_below=0.35))
    assert list(reported(lower)) == ["Qui pilote ?"]


def test_recorded_conversation(recorded):
    day = date(2026, 11, 29)
    with recorded.session() as session:
        result = gap_report(session, GapCriteria(day, day), VOCABULARY, zone=UTC)
    found = reported(result)
    assert found == {
        "Qui doit piloter notre projet ?": (gaps.FALLBACK, gaps.DID_YOU_MEAN_IGNORED),
        "blablabla xyz": (gaps.LOW_CONFIDENCE_SIGNAL,),
    }
    assert [theme.mission for theme in result.missions] == ["identify_lead_partner"]
    assert result.missions[0].examples[0].answer.startswith("Je ne suis pas sûr d'avoir compris.")


def test_vocabulary_needs_every_word_of_a_phrase():
    assert VOCABULARY.found_in("Les ÉLUS ne viennent plus")
    assert VOCABULARY.found_in("qui sera le chef de file ?")
    assert not VOCABULARY.found_in("Quel temps fera-t-il demain ?")
    assert not VOCABULARY.found_in("le chef cuisinier")
    assert title_phrases("Connaître les publics et les acteurs concernés") == ["publics", "acteurs concernes"]
    assert title_phrases("Identifier un chef de file") == ["chef file"]


def test_responses_the_report_looks_for_exist_in_the_domain():
    domain = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))
    assert set(gaps.RESPONSES) <= set(domain["responses"])
    assert gaps.form_names() == {"diagnostic_form"}


@pytest.mark.parametrize(
    "query, expected, error",
    [
        ({}, (date(2026, 10, 12), date(2026, 12, 4), gaps.LOW_CONFIDENCE, ""), None),
        ({"du": "2026-11-01", "au": "2026-11-15", "confiance": "0,4", "signal": "fallback"},
         (date(2026, 11, 1), date(2026, 11, 15), 0.4, "fallback"), None),
        ({"du": "2025-01-01"}, (date(2026, 6, 8), date(2026, 12, 4), 0.5, ""), f"{MAX_WEEKS} semaines"),
        ({"du": "hier"}, (date(2026, 10, 12), date(2026, 12, 4), 0.5, ""), "format attendu AAAA-MM-JJ"),
        ({"du": "2026-12-05"}, (date(2026, 10, 12), date(2026, 12, 4), 0.5, ""), "postérieure"),
        ({"confiance": "2"}, (date(2026, 10, 12), date(2026, 12, 4), 0.5, ""), "entre 0 et 1"),
        ({"signal": "x"}, (date(2026, 10, 12), date(2026, 12, 4), 0.5, ""), "Signal inconnu"),
    ],
)  # fmt: skip
def test_page_criteria(query, expected, error):
    criteria, errors = criteria_from_query(query, today=date(2026, 12, 4))
    assert (criteria.date_from, criteria.date_to, criteria.confidence_below, criteria.signal) == expected
    assert criteria.date_from.weekday() == 0 or "du" in query
    assert (error is None and errors == []) or (error is not None and error in errors[0])


def test_page_needs_a_signed_in_trainer(recorded, config):
    async def scenario(client):
        response = await client.get("/review/lacunes", allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/review/login?next=/review/lacunes"

    run(scenario, config, recorded)


def test_page_shows_the_gaps_with_links_to_the_transcript(recorded, config):
    with recorded.session() as session:
        accounts.create_trainer(session, "alice", PASSWORD)
        pseudonym = session.execute(select(Conversation.pseudonym)).scalar_one()
        event_id = session.execute(select(Turn.event_id).where(Turn.text == "Qui doit piloter notre projet ?")).scalar()

    async def scenario(client):
        await log_in(client)
        page = await client.get("/review/lacunes?du=2026-11-23&au=2026-11-30&confiance=0,5&signal=")
        body = await page.text()
        assert page.status == 200, body
        assert "<h1>Lacunes de la base de connaissances</h1>" in body
        assert "Missions demandées mais mal servies" in body and "Questions sans mission correspondante" in body
        assert "Qui doit piloter notre projet ?" in body and "blablabla xyz" in body
        link = f'href="/review/c/{pseudonym}#tour-{event_id}"'
        assert link in body
        assert '<th scope="col" class="number"><abbr title="semaine du 23/11/2026">S48</abbr></th>' in body
        transcript = await (await client.get(f"/review/c/{pseudonym}")).text()
        assert f'id="tour-{event_id}"' in transcript
        filtered = await (await client.get("/review/lacunes?du=2026-11-23&au=2026-11-30&signal=low_confidence")).text()
        assert "blablabla xyz" in filtered and "Qui doit piloter notre projet ?" not in filtered
        wrong = await (await client.get("/review/lacunes?du=demain&confiance=beaucoup")).text()
        assert "Date de début ignorée" in wrong and "Seuil de confiance ignoré" in wrong

    run(scenario, config, recorded)


def test_report_reads_the_knowledge_base_vocabulary(kb_url):
    vocabulary = gaps.read_vocabulary(kb_url)
    assert vocabulary.found_in("Comment convaincre les élus ?")
    assert vocabulary.found_in("on n'a plus de thune")  # an officers' synonym of « financements »
    assert not vocabulary.found_in("quelle est la météo demain ?")


def test_example_answer_is_cut(store):
    long_answer = "mot " * 100
    index(store, Talk().user("blabla", "affirm", 0.2).reply("utter_anything_else", "utter_anything_else", long_answer))
    (theme,) = report(store).unmatched
    assert len(theme.examples[0].answer) == gaps.EXCERPT and theme.examples[0].answer.endswith("…")
    assert theme.examples[0].signals == (gaps.LOW_CONFIDENCE_SIGNAL,)


def every_signal() -> List[Talk]:
    return [
        Talk()
        .user("Qui doit piloter notre projet ?", "nlu_fallback", 0.3)
        .reply("action_clarify", "utter_ask_rephrase"),
        Talk().user("blabla financement", "affirm", 0.42).reply("utter_anything_else", "utter_anything_else"),
        Talk()
        .user("Les élus refusent de signer", "out_of_scope", 0.7)
        .reply("action_out_of_scope", "utter_out_of_scope"),
        Talk().user("Qui pilote ?", "nlu_fallback", 0.3).did_you_mean().user("pourquoi ?", "ask_why"),
        Talk().user("Le chef de file part", "nlu_fallback", 0.3).did_you_mean().user("la deuxième", "choose").mission(),
        Talk().user("Rasa fonctionne ?", "ask_mission").reply("action_default_fallback", "utter_default"),
        Talk().user("Comment identifier un chef de file ?", "ask_mission").mission(),
    ]


def test_postgresql_gives_the_same_report(tmp_path):
    """The same SQL (LIKE with an escape, CASE, streamed rows) on the other dialect."""
    from bot.review.store import ReviewStore
    from tests.conftest import postgres_schema

    results = []
    with postgres_schema("review_gaps") as url:
        for store_url in (f"sqlite:///{tmp_path / 'tracker.sqlite3'}", url):
            store = ReviewStore(store_url)
            try:
                index(store, *every_signal())
                annotate_turn(store, "Comment identifier un chef de file ?", "inaccurate")
                result = report(store)
                results.append(
                    (reported(result), [(t.key, t.total, t.weekly) for t in (*result.missions, *result.unmatched)])
                )
            finally:
                store.dispose()
    assert results[0] == results[1]
    assert set(results[0][0]) == {
        "Qui doit piloter notre projet ?",
        "blabla financement",
        "Les élus refusent de signer",
        "Qui pilote ?",
        "Le chef de file part",
        "Rasa fonctionne ?",
        "Comment identifier un chef de file ?",
    }
    assert results[0][0]["Le chef de file part"] == (gaps.FALLBACK,)
