"""The slot and entity names the actions read and write, re-exported from bot.names (their
one source, shared with the review console) under the short name the actions use:
``slots.CURRENT_MISSION``."""

from bot.names import (
    CURRENT_MISSION,
    DIAG_DIFFICULTY,
    DIAG_ORIGIN,
    DIAG_PARTNERS,
    DIAG_PHASE,
    DIAGNOSTIC_SLOTS,
    LAST_LIST,
    LAST_MISSIONS,
    MISSION_ENTITY,
    ORIGIN_ENTITY,
    PHASE,
    PHASE_ENTITY,
    RANK_ENTITY,
    THEME_ENTITY,
)

__all__ = [
    "CURRENT_MISSION",
    "DIAG_DIFFICULTY",
    "DIAG_ORIGIN",
    "DIAG_PARTNERS",
    "DIAG_PHASE",
    "DIAGNOSTIC_SLOTS",
    "LAST_LIST",
    "LAST_MISSIONS",
    "MISSION_ENTITY",
    "ORIGIN_ENTITY",
    "PHASE",
    "PHASE_ENTITY",
    "RANK_ENTITY",
    "THEME_ENTITY",
]
