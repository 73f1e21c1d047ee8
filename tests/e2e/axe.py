"""axe-core in the browser tests: `assert_accessible(page)` fails on a critical or serious violation.

axe-core comes with axe-playwright-python (pinned in requirements-dev.txt), which carries its
axe.min.js: nothing is fetched from the network. axe is a script the page did not ask for, and
the portal's CSP ("script-src 'self'") stays as strict as it is: a case that runs axe is marked
`@pytest.mark.axe`, and its `page` comes from a context created with Playwright's `bypass_csp`
(tests/e2e/conftest.py). `assert_accessible` refuses to run on any other page.

The page is checked as the user sees it, so nothing is measured early: the check waits for the
page's load event (portal.css in force) and for running CSS transitions to end (a button fading
into its hover colours has a colour that is neither), without sleeping.

Use:
    pytestmark = pytest.mark.axe      # or @pytest.mark.axe on one case

    def test_something(page, world):
        page.goto("/roster/")
        assert_accessible(page)                   # the whole page
        assert_accessible(page, scope="#mainNav")  # one part of it (a CSS selector)
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import bypasses_csp, wait_until_loaded

# The impacts that fail a test; "moderate" and "minor" findings are left to review.
FAILING_IMPACTS = ("critical", "serious")
_AXE = Axe()
_OPTIONS = {"resultTypes": ["violations"]}

# True once no finite animation or transition is running (an endless spinner does not count).
_SETTLED_JS = """() => document.getAnimations().every((a) => a.playState !== 'running'
    || !a.effect || a.effect.getComputedTiming().endTime === Infinity)"""


def run_axe(page, scope=None):
    """axe-core's results for the page (or the part `scope` selects) once it has settled."""
    if not bypasses_csp(page):
        pytest.fail("axe-core 只能在绕过 CSP 的浏览器上下文中运行：请给该测试加上 @pytest.mark.axe", pytrace=False)
    wait_until_loaded(page)
    page.wait_for_function(_SETTLED_JS)
    return _AXE.run(page, context=scope, options=_OPTIONS).response


def failing_violations(results):
    """The violations in axe results whose impact fails a test."""
    return [v for v in results["violations"] if v.get("impact") in FAILING_IMPACTS]


def describe(violation):
    """One violation as text: rule id, impact, what the rule asks, then each element's selector and finding."""
    lines = [f"- {violation['id']}（{violation['impact']}）：{violation['help']}  {violation['helpUrl']}"]
    for node in violation["nodes"]:
        # A target has one selector per frame on the way to the element.
        target = " >> ".join(part if isinstance(part, str) else " ".join(part) for part in node["target"])
        checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
        finding = next((c["message"] for c in checks if c.get("message")), "")
        lines.append(f"    {target}  {finding}")
    return "\n".join(lines)


def assert_accessible(page, scope=None):
    """Fail if axe-core finds a critical or serious violation on the page, listing each with its elements."""
    results = run_axe(page, scope)
    failing = failing_violations(results)
    where = page.url + (f"（{scope}）" if scope else "")
    assert not failing, (
        f"axe-core {results['testEngine']['version']} 在 {where} 发现 {len(failing)} 项严重问题"
        f"（{'/'.join(FAILING_IMPACTS)}）：\n" + "\n".join(describe(v) for v in failing))
