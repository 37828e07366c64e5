"""Starts the action server after loading the knowledge base, so the first officer to ask
does not wait for spaCy and the search index (~4 s)."""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import run

from actions.base import shared_knowledge_base
from bot.kb.content import ContentError
from bot.kb.recovery import ensure_readable
from bot.kb.service import KnowledgeBaseUnavailable

logger = logging.getLogger(__name__)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s - %(message)s")
    try:
        if ensure_readable():
            logger.warning("Base de connaissances reconstruite depuis le contenu.")
        shared_knowledge_base().warm_up()
        logger.info("Base de connaissances chargée.")
    except (KnowledgeBaseUnavailable, ContentError) as error:
        # Keep serving: each action answers "service momentanément indisponible" until the
        # knowledge base is built, instead of the whole assistant going silent.
        logger.error("%s", error)
    run("actions", port=int(os.environ.get("ACTION_PORT", "5055")), cors_origins=None)


if __name__ == "__main__":
    main()
