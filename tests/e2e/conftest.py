"""Browser tests: the real portal on 127.0.0.1, driven by Debian's headless Chromium.

The harness
- `live_server` (session): the session `app` of tests/conftest.py, served by werkzeug from a
  background thread on a free port, on the suite's own database (the SQLite file, or
  TEST_DATABASE_URL on the PostgreSQL pass). CSRF protection is on, as in production.
- `browser` (session): one Chromium. `page` (per test): a fresh browser context at the size
  of the `viewport` parameter, so every case runs twice: `phone` (375x812, 2x, touch, zh-CN)
  and `desktop` (1366x768).
- After every test the page must have logged no console error (a CSP violation is one, and
  so is a page answered 4xx/5xx) and no uncaught script error, and the server must have
  answered no request with a 5xx; the `expected_errors` fixture lists deliberate ones.
- When a test fails, test-artifacts/e2e/<database>/<test id>.png (full page), .html and .log are saved.
- A test marked `@pytest.mark.axe` gets its context with Playwright's `bypass_csp`, so that
  tests/e2e/axe.py can inject axe-core while the portal's CSP stays as strict as it is; such a
  context cannot report CSP violations, so the mark goes only on cases that run axe.
- Nothing waits for a guessed time. A click returns when its navigation starts, and a heading
  can be visible while portal.css or a page script is still on its way (likely on a busy
  machine), so `follow` waits for the new page's load event, and `check_layout` and `open_menu`
  wait for the page's load state before they measure or tap.
- Without Playwright or Chromium the directory is skipped with one line; with CI=true the
  run fails instead. PORTAL_E2E_CHROMIUM names another Chromium binary.

Adding a case
1. In tests/e2e/test_<area>.py write `def test_<what>(page, world): ...`. Asking for `page`
   brings the server, both viewports and the checks above. Seed data with the `world`
   fixture or tests/factories.py, then `db.session.commit()` before the browser acts.
2. Act as a user would: `login(page, identifier_of(world.users.member))`, `page.goto("/roster/")`
   (paths are relative to the server), `open_menu(page)` before using the navigation
   (it is collapsed on a phone), `follow(locator)` for a link or button that opens another
   page, `.click()` for one that does not, and `expect(...)` from playwright.sync_api.
   Prefer `page.get_by_test_id(...)` and visible Chinese text as locators; add
   data-testid attributes to templates rather than matching on CSS classes.
3. Call `check_layout(page)` on every page worth a look: no horizontal scrolling, and tap
   targets of at least 40px at phone size. `is_phone(page)` tells which size is running.
   For accessibility, mark the case `@pytest.mark.axe` and call `assert_accessible(page)` from
   tests/e2e/axe.py: no critical or serious axe-core violation.
4. The `e2e` marker is added automatically; `pytest -m "not e2e"` leaves these tests out.
"""

import importlib.util
import os
import re
import shutil
import threading
import time
import weakref
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.factories import PASSWORD

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported once, below
    sync_playwright = None

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
_SHARED = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
VIEWPORTS = {
    "phone": {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
              "is_mobile": True, "has_touch": True, **_SHARED},
    "desktop": {"viewport": {"width": 1366, "height": 768}, **_SHARED},
}
# portal.css makes buttons, inputs and nav links 44px tall below this width.
PHONE_MAX_WIDTH = 576
MIN_TAP_HEIGHT = 40
# A radio's or checkbox's label (or its .form-check row) is the target: 44px, as portal.css makes it.
MIN_LABEL_HEIGHT = 44
ARTIFACTS = Path("test-artifacts") / "e2e"
_REPORTS = pytest.StashKey[dict]()
# The browser contexts created with bypass_csp (for `@pytest.mark.axe` cases).
_BYPASSING_CSP = weakref.WeakSet()


def _chromium_path():
    """PORTAL_E2E_CHROMIUM, else `chromium` on PATH, else Debian's /usr/bin/chromium."""
    return os.environ.get("PORTAL_E2E_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _missing():
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "未安装 playwright（pip install -r requirements-dev.txt）"
    if importlib.util.find_spec("axe_playwright_python") is None:
        return "未安装 axe-playwright-python（pip install -r requirements-dev.txt）"
    path = _chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"未找到 chromium：{path}（apt-get install chromium）"
    return None


_WHY_NOT = _missing()
_HERE = Path(__file__).parent


def pytest_collect_file(file_path, parent):
    """Skip (or, under CI, fail) this whole directory when the browser tests cannot run.

    Raised while the directory is being collected, so pytest reports one line for the
    directory. (A skip at conftest import would crash `pytest tests/e2e`, which imports
    this conftest before collecting. Naming a single e2e file still ends with pytest's own
    "found no collectors" after the skip line.)
    """
    if _WHY_NOT and file_path.parent == _HERE:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI 必须运行浏览器测试，但{_WHY_NOT}", pytrace=False)
        pytest.skip(f"浏览器测试已跳过：{_WHY_NOT}")


def pytest_collection_modifyitems(config, items):
    """Mark every test in this directory `e2e`."""
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so `page` knows at teardown if the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request; errors are still logged."""

    def log_request(self, code="-", size="-"):
        """Skip the access log."""


class LiveServer:
    """The portal served from a thread; it counts requests in flight and records 5xx answers."""

    def __init__(self, app):
        self.app = app
        self.server_errors = []
        # path -> seconds to hold its answer back: how a busy machine delivers a stylesheet late.
        self.slow_paths = {}
        self.slowed = []  # the paths actually held back, so a case knows its delay took effect
        self._active = 0
        self._idle = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="e2e-portal", daemon=True)

    def __call__(self, environ, start_response):
        """WSGI entry: pass the request on to the portal, watching the outcome."""
        where = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"

        def watching_start_response(status, headers, exc_info=None):
            if status.startswith("5"):
                self.server_errors.append(f"{status} {where}")
            return start_response(status, headers, exc_info)

        # Counted until the portal returns: Flask has closed its app context (and database
        # session) by then. Counting until close() would leak: werkzeug skips close() when the
        # browser resets the connection while the server drains it after a POST.
        self._enter()
        try:
            delay = self.slow_paths.get(environ.get("PATH_INFO", ""))
            if delay:
                self.slowed.append(environ["PATH_INFO"])
                time.sleep(delay)  # only this request's thread waits; the others are served
            return self.app(environ, watching_start_response)
        except Exception as error:
            self.server_errors.append(f"{type(error).__name__}: {error} ({where})")
            raise
        finally:
            self._leave()

    def _enter(self):
        with self._idle:
            self._active += 1

    def _leave(self):
        with self._idle:
            self._active -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout=10):
        """Wait until no request is being handled (so the database may be emptied)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    def start(self):
        """Serve in the background."""
        self._thread.start()

    def stop(self):
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


@pytest.fixture(scope="session")
def live_server(app):
    """The session app, served on a free port of 127.0.0.1 for the whole session."""
    if app.config["SQLALCHEMY_DATABASE_URI"] in ("sqlite://", "sqlite:///:memory:"):
        pytest.skip("浏览器测试需要文件或 PostgreSQL 数据库，内存 SQLite 无法跨线程共享")
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def live(live_server, app, db):
    """The server for one test: CSRF on; idle again before the database is emptied."""
    app.config["WTF_CSRF_ENABLED"] = True
    live_server.server_errors.clear()
    live_server.slow_paths.clear()
    live_server.slowed.clear()
    yield live_server
    live_server.slow_paths.clear()
    idle = live_server.wait_idle()
    app.config["WTF_CSRF_ENABLED"] = False
    late = list(live_server.server_errors)
    live_server.server_errors.clear()
    if not idle or late:
        pytest.fail(f"测试结束后服务器仍在处理请求或报错：{late}", pytrace=False)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    """The size being tested: "phone" or "desktop"."""
    return request.param


@pytest.fixture()
def expected_errors():
    """Patterns (regular expressions) of console or server errors a case provokes on purpose.

    A page answered 403/404 logs "Failed to load resource: ... status of 404"; a case that
    visits one deliberately appends r"status of 404" here.
    """
    return []


@pytest.fixture()
def page(request, browser, live, viewport, expected_errors):
    """A fresh page at the test's viewport; fails the test on console, script or server errors.

    Marked `axe`, the test gets a context that bypasses the page's CSP (see tests/e2e/axe.py).
    """
    bypass_csp = request.node.get_closest_marker("axe") is not None
    context = browser.new_context(base_url=live.url, bypass_csp=bypass_csp, **VIEWPORTS[viewport])
    if bypass_csp:
        _BYPASSING_CSP.add(context)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda msg: problems.append(f"console.error: {msg.text} ({page.url})")
            if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    yield page
    live.wait_idle()
    raised = [*problems, *(f"server: {e}" for e in live.server_errors)]
    live.server_errors.clear()
    unexpected = [p for p in raised if not any(re.search(pattern, p) for pattern in expected_errors)]
    failed = any(r.failed for r in request.node.stash.get(_REPORTS, {}).values())
    try:
        if failed or unexpected:
            _save_artifacts(request, page, raised)
    finally:
        context.close()
    if unexpected and not failed:
        pytest.fail("浏览器或服务器报错：\n" + "\n".join(unexpected), pytrace=False)


def _save_artifacts(request, page, problems):
    """Write <test id>.png, .html and .log under test-artifacts/e2e/<database>/ (the two runs go side by side)."""
    name = re.sub(r"[^\w.\[\]-]+", "_", request.node.nodeid.replace("::", "__").replace("/", "_"))
    folder = request.config.rootpath / ARTIFACTS / ("postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
        (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - a crashed page must not hide the real failure
        problems = [*problems, f"(截图失败：{error})"]
    (folder / f"{name}.log").write_text(f"{page.url}\n" + "\n".join(problems) + "\n", encoding="utf-8")


# Helpers for cases -------------------------------------------------------------------------

def identifier_of(user):
    """What this user types into the log-in form: login name or employee number."""
    return user.login_name or user.person.employee_no


def login(page, identifier, password=PASSWORD):
    """Fill and submit the real log-in form; waits for the answer, asserts nothing."""
    page.goto("/login")
    page.get_by_label("手机号 / 工号").fill(identifier)
    page.get_by_label("密码", exact=True).fill(password)
    follow(page.get_by_role("button", name="登录", exact=True))


def wait_until_loaded(page):
    """Wait for the current page's load event: its stylesheets and scripts are in force."""
    page.wait_for_load_state("load")


def follow(target):
    """Click a link or submit button that opens another page; return once that page has loaded.

    Playwright's click returns when the navigation has started; what is visible then may still
    lack portal.css, and the page's scripts may not be listening yet.
    """
    with target.page.expect_navigation(wait_until="load"):
        target.click()


def bypasses_csp(page):
    """True if the page's context was created with bypass_csp (a test marked `axe`)."""
    return page.context in _BYPASSING_CSP


def is_phone(page):
    """True at phone size (where portal.css switches to its phone rules)."""
    return page.viewport_size["width"] <= PHONE_MAX_WIDTH


def open_menu(page):
    """Make the main navigation usable: on a phone tap the toggler and wait until it is open."""
    wait_until_loaded(page)  # a tap before Bootstrap's script runs is lost
    menu = page.locator("#mainNav")
    if is_phone(page) and not menu.is_visible():
        page.get_by_role("button", name="展开菜单").tap()
        expect(menu).to_have_class(re.compile(r"\bshow\b"))
    expect(menu).to_be_visible()
    return menu


# Elements sticking out past the right edge, for the failure message.
_WIDTH_JS = """(width) => {
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.right > width + 1) {
            const cls = typeof el.className === 'string' && el.className.trim()
                ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
            wide.push(`${el.tagName.toLowerCase()}${cls} right=${Math.round(box.right)}`);
        }
    }
    return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, wide: wide.slice(0, 8)};
}"""

# Visible links, buttons and fields in a scope shorter than `min` pixels. A radio or checkbox is
# tapped through its label: the label's box, or the .form-check row around it, is measured
# (`labelMin` tall at least); one with neither is measured itself.
_TAP_JS = """([scope, min, labelMin]) => {
    const small = [];
    const targets = 'a[href], button, select, textarea, '
        + 'input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
    const shown = (el) => {
        const box = el.getBoundingClientRect();
        return box.width && box.height && getComputedStyle(el).visibility !== 'hidden' ? box : null;
    };
    for (const root of document.querySelectorAll(scope)) {
        for (const el of root.querySelectorAll(targets)) {
            const box = shown(el);
            if (box && box.height < min) {
                const text = (el.innerText || el.value || el.name || '').trim().slice(0, 20);
                small.push(`${el.tagName.toLowerCase()} "${text}" ${Math.round(box.height)}px`);
            }
        }
        for (const el of root.querySelectorAll('input[type=checkbox], input[type=radio]')) {
            const label = el.labels && el.labels.length ? el.labels[0] : el.closest('label');
            const row = el.closest('.form-check');
            const boxes = [label, row].filter(Boolean).map(shown).filter(Boolean);
            if (!boxes.length) {
                const own = shown(el);
                if (own && own.height < labelMin) small.push(`${el.type} "${el.name}" ${Math.round(own.height)}px`);
                continue;
            }
            const tallest = Math.max(...boxes.map((b) => b.height));
            if (tallest < labelMin) {
                const text = ((label && label.innerText) || el.name || '').trim().slice(0, 20);
                small.push(`${el.type} label "${text}" ${Math.round(tallest)}px`);
            }
        }
    }
    return small;
}"""


def assert_no_horizontal_scroll(page):
    """The page is no wider than the viewport, and a phone did not zoom out to fit it."""
    wait_until_loaded(page)  # measured without portal.css, the page would be another page
    width = page.viewport_size["width"]
    found = page.evaluate(_WIDTH_JS, width)
    # On a phone an over-wide page widens the layout viewport (innerWidth) instead of scrolling.
    assert found["scroll"] <= found["inner"] <= width, (
        f"{page.url} 横向溢出：scrollWidth={found['scroll']} innerWidth={found['inner']} 视口={width}；"
        f"超出的元素：{found['wide']}"
    )


def assert_tap_targets(page, scope="main"):
    """At phone size every visible link, button and field in `scope` is at least 40px tall,
    and every radio's and checkbox's label (or its .form-check row) at least 44px."""
    if not is_phone(page):
        return
    wait_until_loaded(page)  # without portal.css's 44px rule Bootstrap's controls are 38px
    small = page.evaluate(_TAP_JS, [scope, MIN_TAP_HEIGHT, MIN_LABEL_HEIGHT])
    assert not small, (
        f"{page.url} 触控目标低于 {MIN_TAP_HEIGHT}px（单选框、复选框的标签低于 {MIN_LABEL_HEIGHT}px）：{small}")


def check_layout(page):
    """The layout checks every visited page should pass."""
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page)
