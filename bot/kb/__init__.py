"""Knowledge base of the missions and competences of a cooperation officer.

Content lives in French YAML files under ``knowledge/``; ``python -m bot.kb build`` loads it
into a SQL database (SQLite by default) and :class:`bot.kb.service.KnowledgeBase` answers
the questions the actions ask.
"""
