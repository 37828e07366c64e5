"""Names of the slots, shared by every action."""

PHASE = "phase"
LAST_MISSIONS = "last_missions"
