"""Command line of the review console, for administrators and scripts.

python -m bot.review create-trainer NOM            (mot de passe demandé, ou --password-stdin)
python -m bot.review list [filtres] [--csv]        conversations, comme la liste de la console
python -m bot.review show PSEUDONYME               une conversation tour par tour
python -m bot.review export-nlu [-o FICHIER]       corrections des formateurs en YAML NLU
python -m bot.review export-story PSEUDONYME       une conversation en story de test
python -m bot.review purge [--days N]              supprime les conversations plus anciennes
python -m bot.review sync [--rebuild]              met l'index à jour
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from typing import List, Optional

from bot.review import accounts, annotations, export, queries
from bot.review.config import ReviewConfig
from bot.review.forms import confidence_threshold
from bot.review.store import ReviewStore


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » : une date AAAA-MM-JJ est attendue") from None


def _confidence(text: str) -> float:
    try:
        return confidence_threshold(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » : un nombre entre 0 et 1 est attendu") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.review", description="Console de revue en ligne de commande.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    create = commands.add_parser("create-trainer", help="créer un compte de formateur")
    create.add_argument("username")
    create.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    password = commands.add_parser("set-password", help="changer le mot de passe d'un formateur")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list-trainers", help="lister les comptes de formateurs")
    remove = commands.add_parser("delete-trainer", help="supprimer un compte de formateur")
    remove.add_argument("username")

    listing = commands.add_parser("list", help="lister les conversations (mêmes filtres que la console)")
    listing.add_argument("--du", type=_day, help="date de début AAAA-MM-JJ")
    listing.add_argument("--au", type=_day, help="date de fin AAAA-MM-JJ")
    listing.add_argument("--texte", default="")
    listing.add_argument("--intention", default="")
    listing.add_argument("--confiance", type=_confidence, help="confiance minimale inférieure à ce seuil (0 à 1)")
    listing.add_argument("--repli", action="store_true")
    listing.add_argument("--hors-perimetre", action="store_true")
    listing.add_argument("--mission", default="")
    listing.add_argument("--phase", default="")
    listing.add_argument("--formulaire", default="", choices=["", *queries.FORM_STATES])
    listing.add_argument(
        "--annotation", default="", choices=["", queries.ANNOTATED, queries.NOT_ANNOTATED, *annotations.STATES]
    )
    listing.add_argument("--tri", default="last", choices=list(queries.SORTS))
    listing.add_argument("--croissant", action="store_true")
    listing.add_argument("--csv", action="store_true", help="tout le résultat en CSV (sinon un tableau)")

    show = commands.add_parser("show", help="afficher une conversation")
    show.add_argument("pseudonym")
    nlu = commands.add_parser("export-nlu", help="exporter les corrections en YAML NLU")
    nlu.add_argument("-o", "--output")
    story = commands.add_parser("export-story", help="exporter une conversation en story de test")
    story.add_argument("pseudonym")
    story.add_argument("-o", "--output")
    purge = commands.add_parser("purge", help="supprimer les conversations plus anciennes que la durée de conservation")
    purge.add_argument("--days", type=int, help="durée en jours (défaut : CONVERSATION_RETENTION_DAYS, 365)")
    sync = commands.add_parser("sync", help="mettre l'index de la console à jour")
    sync.add_argument("--rebuild", action="store_true", help="tout relire depuis le journal de Rasa")
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez : ") != first:
        raise accounts.AccountError("Les deux mots de passe diffèrent.")
    return first


def _write(text: str, output: Optional[str]) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"Écrit : {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def list_filter(args: argparse.Namespace) -> queries.ConversationFilter:
    """The console's filter for the flags of ``list``."""
    return queries.ConversationFilter(
        date_from=args.du,
        date_to=args.au,
        text=args.texte,
        intent=args.intention,
        confidence_below=args.confiance,
        fallback=args.repli,
        out_of_scope=args.hors_perimetre,
        mission=args.mission,
        phase=args.phase,
        form=args.formulaire,
        annotation=args.annotation,
        sort=args.tri,
        descending=not args.croissant,
    )


def _list(store: ReviewStore, args: argparse.Namespace) -> None:
    criteria = list_filter(args)
    store.refresh()
    with store.session() as session:
        rows = list(queries.iter_conversations(session, criteria))
    if args.csv:
        sys.stdout.write(export.csv_text(rows).lstrip("\ufeff"))
        return
    for row in rows:
        confidence = "" if row.min_confidence is None else f"{row.min_confidence:.2f}"
        print(f"{row.pseudonym}\t{row.user_messages:>3} msg\t{confidence:>5}\t{row.first_message[:70]}")
    print(f"{len(rows)} conversation(s)", file=sys.stderr)


def _transcript(store: ReviewStore, pseudonym: str) -> Optional[queries.Transcript]:
    """The conversation, index brought up to date first; None (said on stderr) if unknown."""
    store.refresh()
    with store.session() as session:
        transcript = queries.get_transcript(session, pseudonym)
    if transcript is None:
        print(f"Conversation « {pseudonym} » introuvable.", file=sys.stderr)
    return transcript


def _show(store: ReviewStore, pseudonym: str) -> int:
    transcript = _transcript(store, pseudonym)
    if transcript is None:
        return 1
    for turn in transcript.turns:
        if turn.kind == "user":
            confidence = "" if turn.confidence is None else f" {turn.confidence:.2f}"
            print(f"[{turn.event_id}] Utilisateur : {turn.text}  ({turn.intent}{confidence})")
        else:
            print(f"[{turn.event_id}] Assistant ({turn.action}) : " + " / ".join(m["text"] for m in turn.messages))
        if turn.annotation:
            note = turn.annotation
            print(f"      annotation : {note.state}, {note.reason}, {note.correct_intent or ''}")
    return 0


def main(argv: Optional[List[str]] = None) -> None:
    args = _parser().parse_args(argv)
    config = ReviewConfig.from_env()
    store = ReviewStore(config.database_url)
    status = 0
    try:
        if args.command in ("create-trainer", "set-password"):
            password = _password(args.password_stdin)
            with store.session() as session:
                if args.command == "create-trainer":
                    accounts.create_trainer(session, args.username, password)
                    print(f"Compte « {args.username.strip().lower()} » créé.")
                else:
                    accounts.set_password(session, args.username, password)
                    print("Mot de passe changé ; les sessions ouvertes sont fermées.")
        elif args.command == "list-trainers":
            with store.session() as session:
                print("\n".join(accounts.list_trainers(session)) or "(aucun compte)")
        elif args.command == "delete-trainer":
            with store.session() as session:
                found = accounts.delete_trainer(session, args.username)
            print("Compte supprimé." if found else f"Aucun compte « {args.username} ».")
            status = 0 if found else 1
        elif args.command == "list":
            _list(store, args)
        elif args.command == "show":
            status = _show(store, args.pseudonym)
        elif args.command == "export-nlu":
            with store.session() as session:
                examples, skipped = export.corrected_examples(session)
            _write(export.nlu_yaml(examples), args.output)
            if skipped:
                print(f"{len(skipped)} message(s) laissé(s) de côté (boutons ou balisage Rasa).", file=sys.stderr)
        elif args.command == "export-story":
            transcript = _transcript(store, args.pseudonym)
            if transcript is None:
                status = 1
            else:
                _write(export.story_yaml(transcript), args.output)
        elif args.command == "purge":
            days = config.retention_days if args.days is None else args.days
            print(f"{store.purge(days)} conversation(s) de plus de {days} jours supprimée(s).")
        elif args.command == "sync":
            read = store.rebuild() if args.rebuild else store.refresh()
            print(f"{read} événement(s) lu(s).")
    except (accounts.AccountError, ValueError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        status = 2
    finally:
        store.dispose()
    sys.exit(status)
