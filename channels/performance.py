"""A measured fix to Rasa 3.6's handling of custom-action responses.

``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every action server
response, and ``validate`` checks the (large) events schema against its meta-schema each time
before using it. Profiling our server under load (py-spy, BENCHMARKS.md) put a quarter of its
busy time there. The replacement validates against the same schema with one validator built
once, and raises the same ``ValidationError`` with the same message, so behaviour is unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


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


def install() -> None:
    """Replace the per-call schema check; idempotent."""
    RemoteAction._validate_action_result = _validate_action_result
