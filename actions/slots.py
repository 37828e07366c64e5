"""Names of the slots and entities the actions read and write."""

PHASE = "phase"
CURRENT_MISSION = "current_mission"
LAST_MISSIONS = "last_missions"
LAST_LIST = "last_list"

DIAG_PHASE = "diag_phase"
DIAG_PARTNERS = "diag_partners"
DIAG_ORIGIN = "diag_origin"
DIAG_DIFFICULTY = "diag_difficulty"
DIAGNOSTIC_SLOTS = (DIAG_PHASE, DIAG_PARTNERS, DIAG_ORIGIN, DIAG_DIFFICULTY)

MISSION_ENTITY = "mission"
PHASE_ENTITY = "phase"
RANK_ENTITY = "rank"
ORIGIN_ENTITY = "origin"
THEME_ENTITY = "theme"
