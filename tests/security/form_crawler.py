"""Find the forms the portal shows: GET every page a role may open and parse each <form> on it.

Pages and their URLs come from the access matrix (EXPECTED, _url), so a new page is crawled as
soon as it is in that table.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

from tests.exemplars import helpers as exemplar_helpers
from tests.security import test_access_matrix as matrix
from tests.security.test_access_matrix import ANON, EXPECTED, PUBLIC, _url
from tests.study import meeting_helpers, quiz_factories

# Inputs a person types text into (dates and numbers too: their parsers see what was typed).
TEXTISH = {"text", "search", "tel", "number", "email", "url", "password", "date", "time",
           "datetime-local", "month", "week"}
# Pages that are not HTML (files, feeds, images) or log the client out: never crawled.
NOT_PAGES = {"static", "bootstrap.static", "home.favicon", "study.calendar_feed",
             "study.meeting_attachment", "study.meeting_checkin_qr", "study.calendar_feed_qr"}


@dataclass
class Field:
    """One control of a form: input, textarea or select."""

    tag: str
    kind: str  # the input type ("textarea" / "select" for those)
    name: str
    value: str = ""
    checked: bool = False
    options: list = field(default_factory=list)  # a select's (value, selected) pairs


@dataclass
class Form:
    """A <form> as rendered: where it goes and its controls in page order."""

    page: str
    method: str
    action: str
    fields: list = field(default_factory=list)

    @property
    def text_fields(self):
        """The controls a person types into."""
        return [f for f in self.fields if f.tag == "textarea" or (f.tag == "input" and f.kind in TEXTISH)]


class _Forms(HTMLParser):
    """Every <form> of a page, with its inputs, textareas and selects."""

    def __init__(self, page):
        super().__init__()
        self.page, self.forms, self._form, self._open = page, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            action = attrs.get("action") or self.page
            self._form = Form(self.page, attrs.get("method", "get").lower(), action)
            self.forms.append(self._form)
        elif tag == "option" and self._open is not None and self._open.tag == "select":
            self._open.options.append((attrs.get("value"), "selected" in attrs))
        elif self._form is None or "name" not in attrs or "disabled" in attrs:
            return
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            self._form.fields.append(Field("button" if kind == "submit" else "input", kind, attrs["name"],
                                           attrs.get("value", ""), "checked" in attrs))
        elif tag in ("textarea", "select"):
            self._open = Field(tag, tag, attrs["name"])
            self._form.fields.append(self._open)
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self._form.fields.append(Field("button", "submit", attrs["name"], attrs.get("value", "")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._open is not None and self._open.tag == "textarea":
            self._open.value += data
        elif self._open is not None and self._open.options and self._open.options[-1][0] is None:
            # <option>text</option> without a value attribute: the text is the value.
            selected = self._open.options[-1][1]
            self._open.options[-1] = (data.strip(), selected)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag in ("textarea", "select"):
            self._open = None


def parse_forms(page_url, html):
    """The forms of a rendered page."""
    parser = _Forms(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def fixed_values(form):
    """What a browser sends unchanged: hidden values exactly and one valid choice per control.

    Boxes stay as checked (the first of a group with none checked is ticked, so that a required
    answer is given); a radio group and a select keep their choice, else take the first real one;
    of several named submit buttons the last is pressed (the forms put 预览 before 保存).
    """
    pairs, groups = [], {}
    for control in form.fields:
        if control.tag == "input" and control.kind == "hidden":
            pairs.append((control.name, control.value))
        elif control.tag == "input" and control.kind in ("checkbox", "radio"):
            groups.setdefault((control.kind, control.name), []).append(control)
        elif control.tag == "select":
            chosen = [v for v, selected in control.options if selected and v is not None]
            usable = [v for v, _ in control.options if v]
            if chosen or usable:
                pairs.append((control.name, (chosen or usable)[0]))
    for (_kind, name), controls in groups.items():
        checked = [c for c in controls if c.checked] or controls[:1]
        pairs.extend((name, c.value or "on") for c in checked)
    buttons = [c for c in form.fields if c.tag == "button"]
    if buttons:
        pairs.append((buttons[-1].name, buttons[-1].value))
    return pairs


def _once(make):
    """`make(world)` run once; later calls get the first answer."""
    made = []

    def once(world):
        if not made:
            made.append(make(world))
        return made[0]

    return once


def sample_data_once(monkeypatch):
    """Let the access matrix's _url build its sample article, session, question and test once.

    Each helper makes new rows on every call (a second calendar feed of the member breaks a
    unique key); crawling opens many pages of the same sample.
    """
    monkeypatch.setattr(matrix, "_article_values", _once(matrix._article_values))
    monkeypatch.setattr(matrix, "_question_id", _once(matrix._question_id))
    monkeypatch.setattr(meeting_helpers, "sample_values", _once(meeting_helpers.sample_values))
    monkeypatch.setattr(quiz_factories, "sample_values", _once(quiz_factories.sample_values))
    monkeypatch.setattr(exemplar_helpers, "sample_values", _once(exemplar_helpers.sample_values))


def pages_for(role):
    """The HTML pages `role` (or ANON) may open: endpoint names from the access matrix.

    The public pages are crawled only as ANON (the login page sends a logged-in user home).
    """
    pages = []
    for endpoint, (method, allowed) in sorted(EXPECTED.items()):
        if method != "GET" or endpoint in NOT_PAGES or "export" in endpoint or "template" in endpoint:
            continue
        if (allowed == PUBLIC) == (role == ANON) and (allowed == PUBLIC or role in allowed):
            pages.append(endpoint)
    return pages


def endpoint_of(app, form):
    """The endpoint a form posts (or gets) to, or None when it leaves the portal."""
    parts = urlsplit(form.action)
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(parts.path, method=form.method.upper())
    except HTTPException:
        return None
    return endpoint


def crawl(app, client, world, role):
    """Every form on every page `role` may open: [(endpoint, form)], each form found once.

    Forms are told apart by where they go and the names of their controls, so the same button
    on fifty rows of a list is posted once.
    """
    found, seen = [], set()
    for page in pages_for(role):
        url = _url(app, page, world)
        response = client.get(url)
        assert response.status_code < 500, (page, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for form in parse_forms(url, response.get_data(as_text=True)):
            endpoint = endpoint_of(app, form)
            key = (endpoint, form.method, tuple(sorted(f.name for f in form.fields)))
            if endpoint is not None and key not in seen:
                seen.add(key)
                found.append((endpoint, form))
    return found
