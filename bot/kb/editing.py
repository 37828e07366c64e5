"""Edits of one mission, or of the synonyms, written back into the YAML content.

The YAML in the content directory stays the single source: an edit is written into its file
with a round-trip writer (ruamel.yaml) that changes only the values that differ, keeping the
comments, the order and the formatting of everything else, so that ``git diff knowledge/``
shows exactly the change. Before it is written, an edit is validated by the loader itself
(bot.kb.content.load_content) on a copy of the whole content holding the new file, and the
loader's problem is reported on the form field it concerns, in French.

A *document* is the plain data of one mission entry (every key of the YAML, values as ``str``
or lists of ``str``), or the mapping of the synonyms: JSON-storable, compared by ``digest``.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from bot.kb.content import Content, ContentError, load_content

# What a trainer may edit, and the French label of each field on the form.
TEXT_FIELDS = ("title", "summary", "why", "example")
LIST_FIELDS = ("how", "pitfalls", "keywords", "situations", "questions")
EDITABLE_FIELDS = (
    "title",
    "summary",
    "why",
    "how",
    "pitfalls",
    "example",
    "keywords",
    "situations",
    "questions",
)
FIELD_LABELS = {
    "title": "Titre affiché",
    "summary": "Description",
    "why": "Pourquoi",
    "how": "Étapes (comment faire)",
    "pitfalls": "Pièges à éviter",
    "example": "Exemple",
    "keywords": "Mots-clés",
    "situations": "Situations (dans les mots d'un agent)",
    "questions": "Questions d'agents (pour reconnaître la mission, jamais affichées)",
    "synonyms": "Synonymes",
}
SYNONYMS_FILE = "synonymes.yml"
# Where a new folded text (``>``) is broken, as the content files are written by hand.
FOLD_WIDTH = 94
_LOADER_FIELD = re.compile(r"« (\w+) »")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class EditError(ValueError):
    """An edit refused, with a French message for the form field it concerns (``None``: the
    whole edit)."""

    def __init__(self, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class MissionFile:
    """Where a mission lives, and its document as the file holds it now."""

    path: Path
    document: Dict[str, Any]


def round_trip_yaml() -> YAML:
    """The writer of the content files: their indentation, quotes kept, long lines unbroken."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def digest(document: Any) -> str:
    """A digest of a document, to tell whether it changed since a form showed it."""
    return hashlib.sha256(json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """ruamel's round-trip values as plain ``str``, ``list`` and ``dict`` (JSON-storable)."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


def _normal(value: Any) -> Any:
    """A value as the loader reads it: whitespace runs folded into one space."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_normal(item) for item in value]
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    return value


# -- reading ---------------------------------------------------------------------------------


def find_mission(content_dir: Path, mission_id: str) -> Optional[MissionFile]:
    """The file and document of a mission, or ``None`` when no mission file holds that id."""
    yaml = round_trip_yaml()
    for path in sorted((Path(content_dir) / "missions").glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        for entry in (data or {}).get("missions") or []:
            if isinstance(entry, Mapping) and entry.get("id") == mission_id:
                return MissionFile(path, plain(entry))
    return None


def read_synonyms(content_dir: Path) -> Dict[str, Any]:
    """The synonyms as the file holds them now (expression → meaning, or list of meanings)."""
    path = Path(content_dir) / SYNONYMS_FILE
    if not path.exists():
        return {}
    return plain(round_trip_yaml().load(path.read_text(encoding="utf-8")) or {})


# -- the form --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", _CONTROL.sub(" ", text.replace("\r\n", "\n")))


def mission_from_form(published: Mapping[str, Any], form: Mapping[str, str]) -> Dict[str, Any]:
    """The published document with the editable fields the form holds (one list item a line).

    A field whose text is the published one but for spacing keeps the published value, so
    that the file changes only where the trainer changed something.
    """
    draft = copy.deepcopy(dict(published))
    for name in TEXT_FIELDS:
        if name in form:
            text = " ".join(_clean(form[name]).split())
            if text != _normal(published.get(name)):
                draft[name] = text
    for name in LIST_FIELDS:
        if name in form:
            items = [" ".join(line.split()) for line in _clean(form[name]).split("\n")]
            items = [item for item in items if item]
            old = published.get(name) if isinstance(published.get(name), list) else []
            draft[name] = [
                old[position] if position < len(old) and _normal(old[position]) == item else item
                for position, item in enumerate(items)
            ]
            if not draft[name] and name not in published:
                del draft[name]
    return draft


def mission_form(document: Mapping[str, Any]) -> Dict[str, str]:
    """The form's values for a document: texts as the assistant shows them, one item a line."""
    values = {}
    for name in TEXT_FIELDS:
        value = document.get(name)
        values[name] = _normal(value) if isinstance(value, str) else ""
    for name in LIST_FIELDS:
        value = document.get(name)
        items = value if isinstance(value, list) else []
        values[name] = "\n".join(_normal(item) for item in items if isinstance(item, str))
    return values


def synonyms_from_form(text: str) -> Dict[str, Any]:
    """Synonyms written one a line as « expression : sens » (several meanings separated by « ; »).

    Raises:
        EditError: on the field, naming the line at fault.
    """
    synonyms: Dict[str, Any] = {}
    lines: Dict[str, int] = {}
    for number, line in enumerate(_clean(text).split("\n"), start=1):
        if not line.strip():
            continue
        phrase, colon, meaning = line.partition(":")
        phrase = " ".join(phrase.split())
        meanings = [" ".join(part.split()) for part in meaning.split(";")]
        meanings = [part for part in meanings if part]
        if not colon or not phrase or not meanings:
            raise EditError(
                f"Ligne {number} : écrivez « expression : sens » (par exemple « qui pilote : chef de file »).",
                "synonyms",
            )
        key = phrase.casefold()
        if key in lines:
            raise EditError(f"Ligne {number} : l'expression « {phrase} » figure déjà ligne {lines[key]}.", "synonyms")
        lines[key] = number
        synonyms[phrase] = meanings[0] if len(meanings) == 1 else meanings
    return synonyms


def synonyms_form(synonyms: Mapping[str, Any]) -> str:
    lines = []
    for phrase, meaning in synonyms.items():
        meanings = meaning if isinstance(meaning, list) else [meaning]
        lines.append(f"{phrase} : {' ; '.join(str(item) for item in meanings)}")
    return "\n".join(lines)


# -- writing ---------------------------------------------------------------------------------


def mission_file_text(path: Path, mission_id: str, document: Mapping[str, Any]) -> str:
    """The text of ``path`` with the mission ``mission_id`` replaced by ``document``: only the
    keys whose value differs are written, in the style the file gave them.

    Raises:
        EditError: the file no longer holds that mission.
    """
    yaml = round_trip_yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    entries = (data or {}).get("missions") or []
    entry = next((item for item in entries if isinstance(item, Mapping) and item.get("id") == mission_id), None)
    if entry is None:
        raise EditError(f"La mission « {mission_id} » n'est plus dans {path.name} : rechargez la liste des missions.")
    _update_mapping(entry, document, indent=6)
    return _dump(yaml, data)


def synonyms_file_text(path: Path, synonyms: Mapping[str, Any]) -> str:
    """The text of the synonyms file holding ``synonyms``: removed expressions deleted, changed
    ones rewritten in place, new ones added at the end; comments kept."""
    yaml = round_trip_yaml()
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = yaml.load("{}")
    _update_mapping(data, synonyms, indent=2)
    return _dump(yaml, data)


def _dump(yaml: YAML, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _update_mapping(target, document: Mapping[str, Any], indent: int) -> None:
    for key in [key for key in target if key not in document]:
        del target[key]
    for key, value in document.items():
        if key in target and plain(target[key]) == value:
            continue
        if key in target and _normal(plain(target[key])) == _normal(value):
            continue
        old = target.get(key)
        if isinstance(value, list) and isinstance(old, list):
            _update_sequence(old, value)
        else:
            target[key] = _styled(old, value, indent)


def _update_sequence(target: list, items: List[Any]) -> None:
    for position, item in enumerate(items):
        if position < len(target):
            if _normal(plain(target[position])) != _normal(item):
                target[position] = item
        else:
            target.append(item)
    del target[len(items) :]


def _styled(old: Any, value: Any, indent: int) -> Any:
    """A new text in the style of the one it replaces (folded ``>`` or literal ``|``)."""
    if isinstance(value, str) and isinstance(old, FoldedScalarString):
        lines = textwrap.wrap(value, FOLD_WIDTH + 6 - indent, break_long_words=False, break_on_hyphens=False)
        folded = FoldedScalarString("\n".join(lines).replace("\n", " ") + "\n")
        positions, offset = [], 0
        for line in lines[:-1]:
            offset += len(line)
            positions.append(offset)
            offset += 1
        folded.fold_pos = positions
        return folded
    if isinstance(value, str) and isinstance(old, LiteralScalarString):
        return LiteralScalarString(value + "\n")
    return copy.deepcopy(value)


def write_atomically(path: Path, text: str) -> None:
    """Replace a file's content at once (temp file in the same folder, then rename): a reader
    sees the old file or the new one, never half of it."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# -- validation --------------------------------------------------------------------------------


def validate(content_dir: Path, path: Path, text: str, item_id: str = "") -> Content:
    """The whole content as the loader reads it once ``path`` holds ``text``.

    The content is copied to a temporary folder holding the new file and read there by the
    loader: the same checks as ``python -m bot.kb check``, the real files untouched.

    Raises:
        EditError: the loader's problem, on the field it names when it concerns ``item_id``.
    """
    content_dir = Path(content_dir)
    with tempfile.TemporaryDirectory(prefix="kb-edit-") as temp:
        copy_dir = Path(temp) / "content"
        shutil.copytree(content_dir, copy_dir, ignore=shutil.ignore_patterns(".*"))
        (copy_dir / Path(path).relative_to(content_dir)).write_text(text, encoding="utf-8")
        try:
            return load_content(copy_dir)
        except ContentError as error:
            raise field_error(error, item_id, Path(error.path).name) from None


def field_error(error: ContentError, item_id: str, file_name: str) -> EditError:
    """The loader's problem in the form's words: on the field it names, with the field's label."""
    named = _LOADER_FIELD.search(error.problem)
    field = named.group(1) if named else None
    if error.entry == item_id and field in FIELD_LABELS:
        problem = error.problem.replace(f"« {field} »", f"« {FIELD_LABELS[field]} »")
        return EditError(problem[:1].upper() + problem[1:] + ".", field)
    if file_name == SYNONYMS_FILE:
        return EditError(f"Expression « {error.entry} » : {error.problem}.", "synonyms")
    return EditError(f"Le contenu ne serait plus valide ({file_name}, {error.entry}) : {error.problem}.")


# -- showing a change --------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "same" or "hunk"
    text: str


def document_yaml(document: Any) -> str:
    """A document as YAML, one line a value, for comparing two versions."""
    yaml = YAML()
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return _dump(yaml, _normal(document))


def diff_lines(before: Any, after: Any) -> List[DiffLine]:
    """The unified diff of two documents' YAML, line by line (empty when they are equal)."""
    lines = difflib.unified_diff(
        document_yaml(before).splitlines(), document_yaml(after).splitlines(), "publiée", "brouillon", n=2, lineterm=""
    )
    result = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            result.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            result.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            result.append(DiffLine("remove", line[1:]))
        else:
            result.append(DiffLine("same", line[1:]))
    return result


def diff_counts(lines: List[DiffLine]) -> Tuple[int, int]:
    """How many lines a diff adds and removes."""
    return sum(line.kind == "add" for line in lines), sum(line.kind == "remove" for line in lines)
