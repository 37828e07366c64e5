"""Names of the domain (domain.yml) that Python code refers to: slots, entities, intents,
actions. One source for the actions (rasa_sdk adapter) and the review console.

Each name is grouped below by the part of the domain it belongs to; tests/actions/
test_domain_consistency.py checks every group against domain.yml, and Rasa's own names
(``RASA_BUILTINS``), which domain.yml does not declare, are listed once here.
"""

from __future__ import annotations

# Slots.
PHASE = "phase"
CURRENT_MISSION = "current_mission"
LAST_MISSIONS = "last_missions"
LAST_LIST = "last_list"
DIAG_PHASE = "diag_phase"
DIAG_PARTNERS = "diag_partners"
DIAG_ORIGIN = "diag_origin"
DIAG_DIFFICULTY = "diag_difficulty"
DIAGNOSTIC_SLOTS = (DIAG_PHASE, DIAG_PARTNERS, DIAG_ORIGIN, DIAG_DIFFICULTY)
MISSION_SLOTS = (CURRENT_MISSION, LAST_MISSIONS)

# Entities.
MISSION_ENTITY = "mission"
PHASE_ENTITY = "phase"
RANK_ENTITY = "rank"
ORIGIN_ENTITY = "origin"
THEME_ENTITY = "theme"

# Intents.
OUT_OF_SCOPE_INTENT = "out_of_scope"

# Actions.
PLAN_ACTION = "action_diagnostic_plan"

# Rasa's own names: they exist without being declared in domain.yml.
REQUESTED_SLOT = "requested_slot"
FALLBACK_INTENT = "nlu_fallback"
LISTEN_ACTION = "action_listen"
SESSION_START_ACTION = "action_session_start"
DEFAULT_FALLBACK_ACTION = "action_default_fallback"
TWO_STAGE_FALLBACK_ACTION = "action_two_stage_fallback"
EXTRACT_SLOTS_ACTION = "action_extract_slots"
UNLIKELY_INTENT_ACTION = "action_unlikely_intent"
DEACTIVATE_LOOP_ACTION = "action_deactivate_loop"
RASA_BUILTINS = frozenset(
    {
        REQUESTED_SLOT,
        FALLBACK_INTENT,
        LISTEN_ACTION,
        SESSION_START_ACTION,
        DEFAULT_FALLBACK_ACTION,
        TWO_STAGE_FALLBACK_ACTION,
        EXTRACT_SLOTS_ACTION,
        UNLIKELY_INTENT_ACTION,
        DEACTIVATE_LOOP_ACTION,
    }
)
FALLBACK_ACTIONS = frozenset({DEFAULT_FALLBACK_ACTION, TWO_STAGE_FALLBACK_ACTION})

# What tests/actions/test_domain_consistency.py checks against each part of domain.yml.
SLOTS = (PHASE, CURRENT_MISSION, LAST_MISSIONS, LAST_LIST, *DIAGNOSTIC_SLOTS)
ENTITIES = (MISSION_ENTITY, PHASE_ENTITY, RANK_ENTITY, ORIGIN_ENTITY, THEME_ENTITY)
INTENTS = (OUT_OF_SCOPE_INTENT,)
ACTIONS = (PLAN_ACTION,)
