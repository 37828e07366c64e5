"""Two measured fixes to hot paths of Rasa 3.6 (profiles and numbers in BENCHMARKS.md).

``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every action server
response, and ``validate`` checks the (large) events schema against its meta-schema each time
before using it. Profiling our server under load (py-spy) put a quarter of its busy time
there. The replacement validates against the same schema with one validator built once, and
raises the same ``ValidationError`` with the same message, so behaviour is unchanged.

``Event.resolve_by_type`` walks every subclass of ``Event`` (with ``inspect.isabstract`` on
each) for every event it deserialises: reading a conversation from the SQL tracker store did
it for each stored event, on every message, and it was 60 % of the read time (cProfile). The
class found for a type name is remembered; unknown names still go through Rasa's own lookup
(same default and the same error).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional, Type

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_rasa_resolve_by_type = Event.resolve_by_type
_event_classes: Dict[str, Type[Event]] = {}


@lru_cache(maxsize=1)
def _action_response_validator():
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    try:
        _action_response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


def _resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    event_class = _event_classes.get(type_name)
    if event_class is None:
        event_class = _rasa_resolve_by_type(type_name, default)
        if event_class is not None and getattr(event_class, "type_name", None) == type_name:
            _event_classes[type_name] = event_class
    return event_class


def install() -> None:
    """Replace the per-call schema check and event class lookup; idempotent."""
    RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)
