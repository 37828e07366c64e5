"""The review console's tables of the candidate trainings (being built)."""
