"""The review console's candidate models: train, compare, promote, restore (being built)."""

from __future__ import annotations

from typing import List, Tuple

from bot.review.auth import Auth
from bot.review.console import Console


def routes(console: Console, auth: Auth) -> List[Tuple]:
    return []
