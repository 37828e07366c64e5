"""A corpus of hostile or odd inputs for the REST channel: (label, raw body, accepted?).

Accepted bodies must get a non-empty French answer and be logged; refused ones a 400 with a
French reason.
"""

from __future__ import annotations

import json
from typing import List, Tuple


def body(message, sender="CORPUS") -> bytes:
    return json.dumps({"sender": sender, "message": message}).encode()


ODD_MESSAGES = [
    # other languages
    "Hello, how are you?",
    "What can you do for me?",
    "¿Dónde está la biblioteca?",
    "Wie geht es Ihnen?",
    "你好，你能帮我吗？",
    "مرحبا، كيف حالك؟",
    "Привет, как дела?",
    "こんにちは",
    "Olá, tudo bem?",
    "Ciao, come stai?",
    # emoji and symbols
    "😀",
    "😀😀😀😀",
    "🤝🌍",
    "👍",
    "❤️",
    "🙈🙉🙊",
    "→←↑↓",
    "∑∫√∞",
    "♻️ coopération ♻️",
    "###",
    # punctuation and numbers
    "?",
    "????",
    "...",
    "!!!!!!",
    "12345",
    "3,14159",
    "0",
    "-1",
    "1e308",
    "NaN",
    # HTML, script, templates
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<b>gras</b>",
    "<!-- commentaire -->",
    "{{7*7}}",
    "${7*7}",
    "{% raw %}",
    "<iframe src=//exemple.fr>",
    "javascript:alert(1)",
    "&lt;script&gt;",
    # SQL and shell looking text
    "' OR 1=1 --",
    "'; DROP TABLE events; --",
    '" OR ""="',
    "1; SELECT * FROM events",
    "admin'--",
    "$(rm -rf /)",
    "`reboot`",
    "| cat /etc/passwd",
    "../../etc/passwd",
    "%00",
    # forged intents and entities
    '/ask_mission{"mission": "\' OR 1=1 --"}',
    "/intention_inconnue",
    '/greet{"phase": "' + "x" * 5000 + '"}',
    '/ask_phase{"phase": ["liste"]}',
    '/choose_option{"rank": "99"}',
    '/inform_origin{"origin": null}',
    "/ask_mission{json invalide",
    "/",
    "//",
    '/ask_mission{"mission": "identify_lead_partner", "x": {"y": [1, 2]}}',
    "/nlu_fallback",
    "/action_listen",
    '/ask_phase{"phase": 12}',
    "/EXTERNAL_intent",
    "/session_start",
    # whitespace, invisible and control characters
    "\u200b\u200bbonjour",
    "bon\u202ejour",
    "\ttabulation",
    "ligne 1\nligne 2\nligne 3",
    "\u00a0\u00a0insécable",
    "bonjour\x00",
    "\x1b[31mrouge\x1b[0m",
    "\ufeffbom",
    "e\u0301le\u0300ve",
    "ＵＮＩＣＯＤＥ large",
    # odd but plausible questions
    "a",
    "ok",
    "non",
    "oui oui oui oui",
    "chef de file " * 50,
    "COMMENT FAIRE ?????",
    "aide",
    "https://exemple.fr/page?x=1",
    "06 12 34 56 78",
    "prenom.nom@exemple.fr",
    "cc",
    "lol",
    "je sais pas",
    "rien",
    "test",
    "blablabla",
    "azertyuiop",
    "qsdfghjklm",
    "Ceci est un test de charge.",
    "x" * 2500,
    "les élus " * 600,
]

BAD_BODIES = [
    ("corps vide", b""),
    ("JSON tronqué", b"{"),
    ("JSON null", b"null"),
    ("liste", b"[]"),
    ("texte brut", b'"bonjour"'),
    ("UTF-8 invalide", b'{"sender": "CORPUS", "message": "\xff\xfe"}'),
    ("sans expéditeur", json.dumps({"message": "bonjour"}).encode()),
    ("expéditeur vide", json.dumps({"sender": "", "message": "bonjour"}).encode()),
    ("expéditeur énorme", json.dumps({"sender": "x" * 10_000, "message": "bonjour"}).encode()),
    ("expéditeur nombre", json.dumps({"sender": 42, "message": "bonjour"}).encode()),
    ("expéditeur avec retour à la ligne", json.dumps({"sender": "a\nb", "message": "bonjour"}).encode()),
    ("message nombre", json.dumps({"sender": "CORPUS", "message": 42}).encode()),
    ("message null", json.dumps({"sender": "CORPUS", "message": None}).encode()),
    ("message liste", json.dumps({"sender": "CORPUS", "message": ["a"]}).encode()),
    ("message vide", body("")),
    ("message d'espaces", body("   ")),
    ("message de blancs", body("\n\t  \n")),
    ("message de caractères de contrôle", body("\x00\x01\x02")),
]


def corpus(prefix: str) -> List[Tuple[str, str, bytes, bool]]:
    """(label, sender, raw body, accepted?) — one sender per accepted message, to count them."""
    entries = [
        (f"message {index}", f"{prefix}-{index}", body(message, f"{prefix}-{index}"), True)
        for index, message in enumerate(ODD_MESSAGES)
    ]
    entries.append(("message de 100 Ko", f"{prefix}-100ko", body("pourquoi " * 12_800, f"{prefix}-100ko"), True))
    entries += [(label, f"{prefix}-refus", raw, False) for label, raw in BAD_BODIES if raw is not None]
    return entries
