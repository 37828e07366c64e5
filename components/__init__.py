"""Custom components of the Rasa NLU pipeline (config.yml); they import rasa, bot/ does not."""
