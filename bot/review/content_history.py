"""The review console's tables of the content versions (being built)."""
