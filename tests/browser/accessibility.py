"""Accessibility audit for the browser tests: axe-core's WCAG 2.1 A and AA rules on a live page.

``assert_accessible(page)`` audits the page as it is now (call it after the content to check is
in the DOM: an answer shown, a form opened) and fails with one line per violation: rule,
impact, what to do, and the selectors of the offending elements. ``assert_reflows(page)`` checks
what axe cannot: at 320 CSS pixels wide the page does not scroll sideways (WCAG 1.4.10).

axe-core is a development dependency of ``web/package.json``, installed by ``make web`` into
``web/node_modules`` and never copied into ``web/static``: the web server does not serve it.
Without it the test fails in CI and is skipped elsewhere, like the Chromium fixture.

How it gets into the page: the console pages allow only scripts from their own origin
(``Content-Security-Policy: script-src 'self'``). ``page.add_script_tag(content=...)`` adds an
inline ``<script>``, which Chromium blocks under that policy ("Executing inline script violates
the following Content Security Policy directive"). ``page.evaluate(source)`` runs the source
through the DevTools protocol, which the page's policy does not govern, so axe is injected
without ``bypass_csp``: the pages are audited with their real policy, and a test can still
notice a script the policy would block.
"""

from __future__ import annotations

import functools
import os
from typing import Dict, List

import pytest

from tests.conftest import REPO_ROOT

AXE_SOURCE = REPO_ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
# The rules of WCAG 2.0 and 2.1, levels A and AA (axe's tags).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN_AXE = """tags => window.axe
  .run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(results => results.violations.map(violation => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map(node => ({target: node.target.map(String).join(' '), summary: node.failureSummary})),
  })))"""


@functools.lru_cache(maxsize=1)
def axe_source() -> str:
    """The source of axe-core from web/node_modules (``make web``); fails in CI, skips elsewhere."""
    if not AXE_SOURCE.exists():
        message = f"axe-core introuvable ({AXE_SOURCE.relative_to(REPO_ROOT)}) : « make web » l'installe"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SOURCE.read_text(encoding="utf-8")


def audit(page) -> List[Dict]:
    """The WCAG 2.1 A/AA violations axe finds on the page as it is now (empty list: none)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
        assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core n'a pas pu être chargé dans la page"
    return page.evaluate(RUN_AXE, WCAG_21_AA)


def describe(violations: List[Dict]) -> str:
    """One line per violation, then one per element: readable in a pytest failure."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}) : {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']} : {summary}")
    return "\n".join(lines)


OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const clipped = element => {
    for (let node = element.parentElement; node && node !== document.body; node = node.parentElement)
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(node).overflowX)) return true;
    return false;
  };
  const found = [...document.body.querySelectorAll('*')]
    .filter(element => element.getBoundingClientRect().right > width + 1 && !clipped(element))
    .filter((element, _, all) => !all.includes(element.parentElement))
    .map(element => [element.tagName.toLowerCase(), ...(element.getAttribute('class') || '').split(' ')]
      .filter(Boolean).join('.') + ' (' + Math.round(element.getBoundingClientRect().right) + ' px)');
  return found.length ? found : ['la page (' + document.documentElement.scrollWidth + ' px)'];
}"""


def assert_reflows(page, context: str = "") -> None:
    """Fails if the page scrolls sideways at its current width (WCAG 1.4.10: call it at 320 CSS
    pixels); a wide data table may scroll inside a container of its own."""
    overflowing = page.evaluate(OVERFLOWING)
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert not overflowing, f"{context or page.url} déborde de {width} px de large : " + ", ".join(overflowing)


def assert_accessible(page, context: str = "") -> None:
    """Fails if axe-core finds a WCAG 2.1 A/AA violation on the page; ``context`` names the page
    (and its state) in the message, the URL otherwise."""
    violations = audit(page)
    where = context or page.url
    assert not violations, f"{len(violations)} règle(s) WCAG 2.1 A/AA non respectée(s) sur {where} :\n" + describe(
        violations
    )
