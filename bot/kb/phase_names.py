"""Finding a phase's name in an officer's words.

Officers rarely write a phase's name exactly as the map does: « avant de se lancer » for the
alias « avant de lancer », « nos actions sont lancées » for « actions lancées ». A name of
several words is therefore found word by word, in its order, each word as written or with the
same stem, with at most one word slipped in between two of them. The small words that link
a name's words (« de », « du », « la »…) may be any other: « en fin de programme » is the
alias « fin du programme », « connaître du contexte » the alias « le contexte ». A one-word
name must be written as it is (the knowledge base then tries its lemma): its stem alone names
too much (« dur » is not « durer »).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from bot.kb.records import Phase
from bot.text import plain, stem

# Words an officer may slip between two words of a phase's name (« avant de se lancer »).
MAX_GAP = 1
# A name right after one of these is the one the officer gives the phase.
PHASE_NOUNS = frozenset(("phase", "phases", "etape", "stade", "periode"))
# Articles and prepositions inside a name: one stands for another.
LINKS = frozenset(("de", "du", "des", "d", "la", "le", "les", "l", "a", "au", "aux"))
# Words taken as written, never by their stem: « toute l'étape » (the whole of one stage) is
# not « toutes les étapes » (every stage).
EXACT = frozenset(("tout", "toute", "toutes", "tous"))


@dataclass(frozen=True)
class PhaseMatch:
    """A phase named in a text, and where: word positions in ``plain(text).split()``."""

    phase: Phase
    start: int
    end: int
    size: int  # the length of the name found: the longest name wins


@dataclass(frozen=True)
class _Name:
    phase: Phase
    words: Tuple[str, ...]
    stems: Tuple[str, ...]
    size: int


class PhaseNames:
    """Every name of the phases (id, label, aliases), ready to be looked for in a text."""

    def __init__(self, phases: Sequence[Phase]) -> None:
        self._names: List[_Name] = []
        for phase in phases:
            for name in dict.fromkeys(plain(name) for name in (phase.id, phase.label, *phase.aliases)):
                words = tuple(name.split())
                if words:
                    self._names.append(_Name(phase, words, tuple(stem(word) for word in words), len(name)))

    def match(self, text: str) -> Optional[PhaseMatch]:
        """The phase name found in ``text`` that follows a phase noun (« au stade de
        l'émergence » over « au tout début »), else the longest, or ``None``."""
        words = plain(text).split()
        stems = [stem(word) for word in words]
        by_word: Dict[str, List[int]] = {}
        by_stem: Dict[str, List[int]] = {}
        for index, (word, word_stem) in enumerate(zip(words, stems, strict=True)):
            by_word.setdefault(word, []).append(index)
            by_stem.setdefault(word_stem, []).append(index)
        best: Optional[PhaseMatch] = None
        best_key = (False, 0)
        for name in self._names:
            flexible = len(name.words) > 1
            first = name.words[0]
            by_its_stem = flexible and first not in EXACT
            starts = by_word.get(first, []) + (by_stem.get(name.stems[0], []) if by_its_stem else [])
            if flexible and first in LINKS:
                starts += [index for index, word in enumerate(words) if word in LINKS]
            for start in sorted(set(starts)):
                end = _end_of(name, words, stems, start, flexible)
                if end is None:
                    continue
                key = (any(word in PHASE_NOUNS for word in words[max(0, start - 3) : start]), name.size)
                if key > best_key:
                    best, best_key = PhaseMatch(name.phase, start, end, name.size), key
        return best


def _end_of(name: _Name, words: Sequence[str], stems: Sequence[str], start: int, flexible: bool) -> Optional[int]:
    """Where ``name`` ends when it starts at word ``start``, or ``None`` if it is not there."""
    position = start + 1
    for word, word_stem in zip(name.words[1:], name.stems[1:], strict=True):
        gap = MAX_GAP if flexible else 0
        link = flexible and word in LINKS
        by_stem = flexible and word not in EXACT
        found = next(
            (
                index
                for index in range(position, min(position + gap + 1, len(words)))
                if words[index] == word or (by_stem and stems[index] == word_stem) or (link and words[index] in LINKS)
            ),
            None,
        )
        if found is None:
            return None
        position = found + 1
    return position
