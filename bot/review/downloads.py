"""The console's files: the filtered list in CSV, a conversation as a Rasa test story, the
trainers' corrections as NLU data."""

from __future__ import annotations

from aiohttp import web

from bot.review import export, queries
from bot.review.auth import Auth
from bot.review.console import Console
from bot.review.forms import filter_from_query


class Downloads:
    def __init__(self, console: Console, auth: Auth) -> None:
        self.console = console
        self.auth = auth

    async def conversations_csv(self, request: web.Request) -> web.Response:
        await self.auth.require(request)
        criteria, _errors = filter_from_query(request.query)

        def read() -> str:
            with self.console.store.session() as session:
                return export.csv_text(queries.iter_conversations(session, criteria))

        return download(await self.console.db(read), "conversations.csv", "text/csv")

    async def story(self, request: web.Request) -> web.Response:
        await self.auth.require(request)
        transcript = await self.console.db(self.console.read_transcript, request.match_info["pseudonym"])
        if transcript is None:
            raise web.HTTPNotFound(text="Conversation introuvable.", content_type="text/plain")
        pseudonym = transcript.conversation.pseudonym
        return download(export.story_yaml(transcript), f"test_revue_{pseudonym}.yml", "application/yaml")

    async def nlu(self, request: web.Request) -> web.Response:
        await self.auth.require(request)

        def read() -> str:
            with self.console.store.session() as session:
                examples, _skipped = export.corrected_examples(session)
            return export.nlu_yaml(examples)

        return download(await self.console.db(read), "nlu_revue.yml", "application/yaml")


def download(text: str, filename: str, content_type: str) -> web.Response:
    return web.Response(
        text=text,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
