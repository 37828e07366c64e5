"""Publish time of the review console's content editing: writing the edited mission into its
YAML file, validating the whole content, rebuilding the knowledge base and recording the
version, on a temporary copy of knowledge/ and a temporary SQLite knowledge base. Also the time
an action server's next search takes after a publication (its search index rebuilt).

    python -m bench.publish [--repeat N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List

from bot.kb import editing
from bot.kb.content import REPOSITORY_CONTENT_DIR
from bot.kb.db import make_engine, make_session_factory
from bot.kb.service import KnowledgeBase
from bot.review.content_history import MISSION, ContentPublisher
from bot.review.store import ReviewStore
from bot.text import default_analyzer

MISSION_ID = "identify_lead_partner"


def publish_times(repeat: int = 15) -> Dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    try:
        content_dir = folder / "knowledge"
        shutil.copytree(REPOSITORY_CONTENT_DIR, content_dir)
        kb_url = f"sqlite:///{folder / 'knowledge.sqlite3'}"
        store = ReviewStore(f"sqlite:///{folder / 'tracker.sqlite3'}")
        publisher = ContentPublisher(content_dir, kb_url)
        default_analyzer()  # loaded once per process, as in the running web server
        publisher.rebuild()
        kb = KnowledgeBase(make_session_factory(make_engine(kb_url)), reload_seconds=0.0)
        kb.find_missions("personne ne veut piloter")
        publish: List[float] = []
        first_search: List[float] = []
        for round_ in range(repeat):
            current = publisher.current(MISSION, MISSION_ID)
            form = editing.mission_form(current.document)
            form["situations"] += f"\nsituation ajoutée pour la mesure n° {round_}"
            draft = editing.mission_from_form(current.document, form)
            started = time.perf_counter()
            with store.session() as session:
                publisher.publish(session, MISSION, MISSION_ID, draft, current.digest, "mesure", "mesure")
            publish.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            kb.find_missions(f"situation ajoutée pour la mesure n° {round_}")
            first_search.append((time.perf_counter() - started) * 1000)
        store.dispose()
        return {
            "publish_p50_ms": statistics.median(publish),
            "publish_max_ms": max(publish),
            "first_search_p50_ms": statistics.median(first_search),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.publish")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    result = publish_times(args.repeat)
    print("| mesure | valeur |")
    print("| --- | --- |")
    print(
        f"| publication d'une mission (écriture + validation + reconstruction + version), médiane "
        f"sur {args.repeat} | {result['publish_p50_ms']:.0f} ms (max {result['publish_max_ms']:.0f} ms) |"
    )
    print(
        f"| première recherche d'un serveur d'actions après publication (index reconstruit), médiane "
        f"| {result['first_search_p50_ms']:.0f} ms |"
    )


if __name__ == "__main__":
    main()
