"""Rasa's response generator, without mistaking button payloads for template variables.

Rasa 3.6 fills ``{slot}`` placeholders in every string of a response, button payloads
included. A payload that sets entities, such as ``/ask_mission{"mission": "manage_conflicts"}``,
is taken for a template variable named ``"mission": "manage_conflicts"``: Rasa logs an ERROR
with a traceback (``interpolator.interpolate.text``) at every greeting, then sends the payload
unchanged. The payload was right; the log was not, and an operator who sees ERROR on every
conversation stops reading the logs.

Here everything is filled as Rasa does, except button payloads, where only placeholders
shaped like a slot name (``{phase}``) and known to the response are replaced: the JSON of the
entities is left as written, and an unknown ``{name}`` stays as it is, with a warning.
Configured in endpoints.yml (``nlg: type: channels.nlg.ButtonSafeNaturalLanguageGenerator``).
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, Optional

from rasa.core.nlg.interpolator import interpolate
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


def fill_payload(payload: str, values: Dict[str, Any]) -> str:
    """``payload`` with its ``{slot_name}`` placeholders filled from ``values``; anything else,
    the braces of an entity object included, is kept as written."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name in values:
            return str(values[name])
        logger.warning("Charge de bouton « %s » : variable {%s} inconnue, laissée telle quelle.", payload, name)
        return match.group(0)

    return _PLACEHOLDER.sub(replace, payload)


class ButtonSafeNaturalLanguageGenerator(TemplatedNaturalLanguageGenerator):
    """The domain's responses, filled like Rasa does, with button payloads kept intact."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    def _fill_response(
        self, response: Dict[str, Any], filled_slots: Optional[Dict[str, Any]] = None, **kwargs: Any
    ) -> Dict[str, Any]:
        buttons = response.pop("buttons", None)
        response = super()._fill_response(response, filled_slots, **kwargs)
        if buttons is not None:
            values = self._response_variables(filled_slots, kwargs)
            response["buttons"] = [_fill_button(button, values) for button in buttons]
        return response


def _fill_button(button: Any, values: Dict[str, Any]) -> Any:
    """A button with its title filled by Rasa's interpolator and its payload by ``fill_payload``."""
    if not isinstance(button, dict) or not values:
        return button
    return {
        key: fill_payload(value, values) if key == "payload" and isinstance(value, str) else interpolate(value, values)
        for key, value in button.items()
    }
