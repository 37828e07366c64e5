"""Command line for content editors: build, check, search, suggest, show."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

from bot.kb.content import DEFAULT_CONTENT_DIR, ContentError, load_content
from bot.kb.db import database_url, make_engine
from bot.kb.loader import build
from bot.kb.nlu_export import LOOKUP_PATH, write_nlu_lookups
from bot.kb.service import KnowledgeBase, KnowledgeBaseUnavailable
from bot.text import default_analyzer


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.kb", description="Base de connaissances du chargé de coopération."
    )
    parser.add_argument("--content", type=Path, default=DEFAULT_CONTENT_DIR, help="dossier du contenu YAML")
    parser.add_argument(
        "--database-url", default=None, help="URL SQLAlchemy (défaut : KB_DATABASE_URL ou SQLite sous var/)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="charge le contenu dans la base (une transaction)")
    build_parser.add_argument("--if-changed", action="store_true", help="ne reconstruit que si le contenu a changé")
    commands.add_parser("check", help="valide le contenu sans toucher à la base")
    commands.add_parser("export-nlu", help="régénère data/nlu/lookups.yml (entités phase et theme)")
    for name, help_text in (
        ("search", "missions classées pour un texte libre"),
        ("suggest", "prochaines étapes pour une situation"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("text", help="texte libre en français")
        sub.add_argument("--phase", default=None, help="identifiant de phase (ex. emergence)")
        sub.add_argument("--limit", type=int, default=5)
    show_parser = commands.add_parser("show", help="affiche une mission")
    show_parser.add_argument("mission_id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        return _run(args)
    except ContentError as error:
        print(f"Contenu invalide — {error}", file=sys.stderr)
        return 2
    except KnowledgeBaseUnavailable as error:
        print(str(error), file=sys.stderr)
        return 3


def _run(args) -> int:
    if args.command == "check":
        content = load_content(args.content)
        print(f"Contenu valide : {len(content.phases)} phases, {len(content.missions)} missions.")
        return 0
    if args.command == "export-nlu":
        written = write_nlu_lookups(load_content(args.content))
        print(f"{LOOKUP_PATH} {'régénéré' if written else 'déjà à jour'}.")
        return 0
    if args.command == "build":
        content = load_content(args.content)
        report = build(make_engine(args.database_url), content, default_analyzer(), force=not args.if_changed)
        state = "déjà à jour" if report.skipped else "construite"
        print(f"Base de connaissances {state} : {report.missions} missions ({database_url(args.database_url)}).")
        return 0
    kb = KnowledgeBase.from_url(args.database_url)
    if args.command == "search":
        for rank, hit in enumerate(kb.find_missions(args.text, limit=args.limit, phase_id=args.phase), start=1):
            detail = f" — « {hit.matched} »" if hit.matched else ""
            print(f"{rank}. {hit.mission.title} [{hit.mission.phase_label}] score {hit.score:.2f}{detail}")
        return 0
    if args.command == "suggest":
        for rank, suggestion in enumerate(kb.suggest_next_steps(args.text, args.phase, args.limit), start=1):
            print(f"{rank}. {suggestion.mission.title} [{suggestion.mission.phase_label}]\n   {suggestion.reason}")
        return 0
    mission = kb.get_mission(args.mission_id)
    if mission is None:
        print(f"Mission inconnue : {args.mission_id}", file=sys.stderr)
        return 1
    print(f"{mission.title} — {mission.phase.label}\nLibellé de la carte : {mission.map_label}\n\n{mission.why}\n")
    print("Comment faire :\n" + "\n".join(f"  - {step}" for step in mission.how))
    print("Pièges à éviter :\n" + "\n".join(f"  - {pitfall}" for pitfall in mission.pitfalls))
    return 0
