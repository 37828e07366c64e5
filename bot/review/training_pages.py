"""The review console's candidate models: train, compare, promote, restore.

- ``/review/modeles``: the model in service (and what each Rasa server says it runs), the
  trainers' sentences a candidate would learn, the button that starts a training, the
  trainings, and the earlier models with a button to put each back in service;
- ``/review/modeles/{id}``: one training, its progress while it runs (review.js asks
  ``/review/modeles/{id}/etat`` every few seconds and reloads the page when the state changes;
  without scripts, a link reloads it), then the comparison and the promote / discard buttons.

Every POST needs the session's CSRF token. Long work (training, comparison, the PUT /model
of a promotion) runs off the event loop (bot.review.training).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urlencode

from aiohttp import web

from bot.review import training_jobs as jobs
from bot.review.auth import Auth
from bot.review.console import PREFIX, Console
from bot.review.training import Trainer
from bot.review.training_data import list_training_sentences
from bot.review.training_models import (
    ModelError,
    TrainingSettings,
    get_in_service,
    list_history,
    served_model,
)

logger = logging.getLogger(__name__)

SENTENCES_SHOWN = 100


def make_trainer(console: Console) -> Trainer:
    """The web process's trainer, configured by the environment (tests replace this function)."""
    return Trainer(TrainingSettings.from_env(), console.store)


def routes(console: Console, auth: Auth) -> List[Tuple]:
    pages = TrainingPages(console, auth, make_trainer(console))
    pages.recover_at_start()
    return [
        ("GET", "/modeles", pages.models),
        ("POST", "/modeles/entrainer", pages.start),
        ("POST", "/modeles/restaurer", pages.restore),
        ("GET", "/modeles/{job_id:\\d+}", pages.job),
        ("GET", "/modeles/{job_id:\\d+}/etat", pages.job_state),
        ("POST", "/modeles/{job_id:\\d+}/promouvoir", pages.promote),
        ("POST", "/modeles/{job_id:\\d+}/ecarter", pages.discard),
    ]


class TrainingPages:
    def __init__(self, console: Console, auth: Auth, trainer: Trainer) -> None:
        self.console = console
        self.auth = auth
        self.trainer = trainer

    def recover_at_start(self) -> None:
        """A job left « en cours » by a web server that stopped becomes failed (« interrompue »)."""
        try:
            self.trainer.recover()
        except Exception:  # noqa: BLE001 - the database may be down at start: done again on the page
            logger.warning("Entraînements interrompus non vérifiés au démarrage (base injoignable ?)", exc_info=True)

    async def _blocking(self, function: Callable, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))

    async def models(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        settings = self.trainer.settings

        def read():
            self.trainer.recover()
            with self.console.store.session() as session:
                return (
                    list_training_sentences(session),
                    jobs.list_jobs(session),
                    jobs.list_changes(session),
                )

        sentences, job_list, changes = await self.console.db(read)
        in_service, history = await self._blocking(lambda: (get_in_service(settings), list_history(settings)))
        servers = []
        if settings.api_token:
            servers = await asyncio.gather(
                *(self._blocking(served_model, url, settings.api_token) for url in settings.rasa_urls)
            )
        return self.console.page(
            "models.html",
            trainer=trainer,
            in_service=in_service,
            servers=list(zip(settings.rasa_urls, servers, strict=True)) if servers else [],
            api_problem=settings.api_problem(),
            sentences=sentences[:SENTENCES_SHOWN],
            corrections=sum(not sentence.validated for sentence in sentences),
            validated=sum(sentence.validated for sentence in sentences),
            jobs=job_list,
            active=next((job for job in job_list if job.active), None),
            history=history,
            changes=changes,
            sets=settings.evaluation_sets,
            duration=duration,
            error=request.query.get("erreur", ""),
            message=request.query.get("message", ""),
        )

    async def _get_job(self, request: web.Request) -> Optional[jobs.Job]:
        job_id = int(request.match_info["job_id"])

        def read():
            with self.console.store.session() as session:
                return jobs.get_job(session, job_id)

        return await self.console.db(read)

    async def job(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        job = await self._get_job(request)
        if job is None:
            raise web.HTTPNotFound(text="Candidat introuvable.", content_type="text/plain")
        progress = await self._blocking(self.trainer.progress, job)
        in_service = await self._blocking(get_in_service, self.trainer.settings)
        return self.console.page(
            "models_job.html",
            trainer=trainer,
            job=job,
            progress=progress,
            in_service=in_service,
            api_problem=self.trainer.settings.api_problem(),
            status_sentence=status_text(job, progress),
            elapsed=elapsed_text(progress),
            duration=duration,
            ratio=ratio,
            gap=gap,
            sentence_counts=sentence_counts,
            error=request.query.get("erreur", ""),
            message=request.query.get("message", ""),
        )

    async def job_state(self, request: web.Request) -> web.Response:
        """The state of a job and its progress in French, for review.js."""
        await self.auth.require(request)
        job = await self._get_job(request)
        if job is None:
            raise web.HTTPNotFound(text="Entraînement introuvable.", content_type="text/plain")
        progress = await self._blocking(self.trainer.progress, job)
        return web.json_response(
            {"state": job.state, "text": status_text(job, progress), "elapsed": elapsed_text(progress)},
            headers={"Cache-Control": "no-store"},
        )

    async def start(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        await self.auth.checked_form(request, trainer)
        try:
            job = await self.console.db(self.trainer.start, trainer.username)
        except jobs.TrainingRefused as error:
            raise _back(f"{PREFIX}/modeles", erreur=str(error)) from None
        raise web.HTTPSeeOther(f"{PREFIX}/modeles/{job.id}")

    async def promote(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        await self.auth.checked_form(request, trainer)
        job_id = int(request.match_info["job_id"])
        try:
            await self.console.db(self.trainer.promote, job_id, trainer.username)
        except ModelError as error:
            raise _back(f"{PREFIX}/modeles/{job_id}", erreur=str(error)) from None
        raise _back(
            f"{PREFIX}/modeles/{job_id}",
            message="Candidat promu : le serveur Rasa l'a chargé et répond désormais avec lui.",
        )

    async def discard(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        await self.auth.checked_form(request, trainer)
        job_id = int(request.match_info["job_id"])
        try:
            await self.console.db(self.trainer.discard, job_id, trainer.username)
        except ModelError as error:
            raise _back(f"{PREFIX}/modeles/{job_id}", erreur=str(error)) from None
        raise _back(f"{PREFIX}/modeles/{job_id}", message="Candidat écarté : son fichier est supprimé.")

    async def restore(self, request: web.Request) -> web.Response:
        trainer = await self.auth.require(request)
        form = await self.auth.checked_form(request, trainer)
        try:
            await self.console.db(self.trainer.restore, form.get("model", ""), trainer.username)
        except ModelError as error:
            raise _back(f"{PREFIX}/modeles", erreur=str(error)) from None
        raise _back(f"{PREFIX}/modeles", message="Modèle précédent remis en service.")


def status_text(job: jobs.Job, progress) -> str:
    """One French sentence on where a job is (announced to screen readers when it changes)."""
    if progress is not None:
        return f"Entraînement : {progress.label}."
    if job.state == jobs.COMPARING:
        return f"Comparaison : {job.step or 'démarrage du serveur Rasa temporaire'}…"
    return f"État : {job.state_label}."


def elapsed_text(progress) -> str:
    """How long the training has run, against the last one (updated silently)."""
    if progress is None:
        return ""
    text = f"{duration(progress.elapsed)} écoulées"
    if progress.expected:
        text += f" ; le dernier entraînement a pris {duration(progress.expected)}"
    return text + "."


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def ratio(passed: int, total: int) -> str:
    """« 134/143 (93,7 %) »."""
    if not total:
        return "—"
    return f"{passed}/{total} ({passed / total:.1%})".replace(".", ",").replace("%", " %")


def gap(difference: int) -> str:
    return f"+{difference}" if difference > 0 else ("=" if difference == 0 else f"−{-difference}")


def sentence_counts(sentences: List[dict]) -> dict:
    """How many annotated sentences each model reads as the trainer said, and what changed."""
    before = [sentence["before"]["intent"] == sentence["intent"] for sentence in sentences]
    after = [sentence["after"]["intent"] == sentence["intent"] for sentence in sentences]
    return {
        "total": len(sentences),
        "right_before": sum(before),
        "right_after": sum(after),
        "fixed": sum(not old and new for old, new in zip(before, after, strict=True)),
        "broken": sum(old and not new for old, new in zip(before, after, strict=True)),
    }


def _back(target: str, **query: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(target + "?" + urlencode(query))
