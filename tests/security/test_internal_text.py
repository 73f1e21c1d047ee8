"""No page shows an internal id, a repository path, a command, an English code or an ISO date.

Every GET endpoint of the access matrix (its table and URLs), with every role, on the matrix's
world with its sample article (kept in the platform's content library), session, question and
test, today's question answered and a member's ledger holding an entry of every kind (each
study source, a manual adjustment and its reversal). What a person reads is searched: the
text of the page and the words in title, alt, aria-label and placeholder; never URLs or form
values, which may carry ids and ISO dates.
"""

import re
from html.parser import HTMLParser

import pytest

from portal.core.clock import localnow
from portal.core.periods import PeriodKind
from portal.credits.rules import DEFAULT_RULES
from portal.credits.services import SOURCE_LABELS
from portal.extensions import db
from portal.study.models.articles import Article
from tests.conftest import login
from tests.security.form_crawler import NOT_PAGES, sample_data_once
from tests.security.test_access_matrix import ANON, EXPECTED, ROLES, _url
from tests.study.ledger_sources import book_every_source, sample_values

# The words in attributes a person reads (a tooltip, an image's text, a field's hint).
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")
CODES = sorted(set(DEFAULT_RULES) | set(SOURCE_LABELS), key=len, reverse=True)
INTERNAL = {
    "an internal id": re.compile(r"#\s?\d+"),
    "an entry number": re.compile(r"第\s*\d+\s*条"),
    "a repository path": re.compile(r"content/|/work/|portal/|\.md\b|\.py\b"),
    "a developer's command": re.compile(r"\bflask\b|内容同步|内容文件"),
    "an English code": re.compile(r"\b(" + "|".join(map(re.escape, CODES)) + r")\b"),
    # A date shown (core.clock's rule writes 2026年12月3日); an example of what to type in a sheet
    # (如 2010-07-01) is not a date shown.
    "an ISO date": re.compile(r"(?<!如 )\b\d{4}-\d{2}-\d{2}\b|\b\d{2}-\d{2} \d{2}:\d{2}\b"),
}
# Further addresses the walk opens: a page's other states (query arguments), for the roles allowed.
EXTRA = {
    "credits.adjust": [{"q": "zs"}, {"q": "矩阵"}, "person"],
    "credits.rankings": [{"kind": kind} for kind in PeriodKind] + [{"view": "branch"}],
    "credits.mine": [{"period": "month"}],
    "credits.person_ledger": [{"period": "month"}],
    "roster.person_list": [{"q": "zs"}],
}


class _Readable(HTMLParser):
    """The text a person reads on a page: text outside script and style, and READ_ATTRIBUTES."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def readable_text(html):
    """What a person reads on a page, spaces collapsed."""
    parser = _Readable()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def findings(text):
    """[(what, the words around it)] for each kind of internal text found."""
    found = []
    for what, pattern in INTERNAL.items():
        for match in pattern.finditer(text):
            found.append((what, text[max(0, match.start() - 30):match.end() + 30]))
    return found


def test_the_search_finds_each_kind_of_internal_text():
    page = ("<p>每日一题 #9953 · 第 484 条</p><p title='本文来自内容文件 content/articles/a.md'>x</p>"
            "<p>运行 flask content sync</p><code>study_read</code><span>2026-12-03</span><i>12-03 14:30</i>")
    kinds = {what for what, _ in findings(readable_text(page))}
    assert kinds == set(INTERNAL)
    quiet = ('<a href="/credits/people/12?period=month:2026-12-01#entry-3" data-x="study_read">张三</a>'
             '<input type="date" value="2026-12-03"><script>var x = "#1";</script><p>2026年12月3日 14:30</p>')
    assert findings(readable_text(quiet)) == []


@pytest.fixture()
def worded_world(world, monkeypatch):
    """The matrix's world; its sample article is from the content library; the member's ledger has every source."""
    sample_data_once(monkeypatch)
    values = sample_values(world)
    db.session.get(Article, values["article_id"]).slug = "juzhen-ceshi-wenzhang"
    book_every_source(world, values)
    return world


def _addresses(app, world, endpoint):
    """The endpoint's matrix URL and its EXTRA states."""
    url = _url(app, endpoint, world)
    addresses = [url]
    month = f"month:{localnow().date().replace(day=1).isoformat()}"
    for extra in EXTRA.get(endpoint, []):
        if extra == "person":
            addresses.append(f"{url}?person_id={world.people.member.id}")
        else:
            query = "&".join(f"{k}={month if v == 'month' else v}" for k, v in extra.items())
            addresses.append(f"{url}?{query}")
    return addresses


@pytest.mark.parametrize("role", [ANON, *ROLES])
def test_no_page_shows_internal_text(app, client, worded_world, role):
    world = worded_world
    if role != ANON:
        login(client, getattr(world.users, role))
    seen, problems = 0, []
    for endpoint, (method, _allowed) in sorted(EXPECTED.items()):
        if method != "GET" or endpoint in NOT_PAGES:
            continue
        for url in _addresses(app, world, endpoint):
            response = client.get(url, follow_redirects=True)
            if response.mimetype != "text/html":
                continue  # exports and feeds: machine formats
            seen += 1
            problems += [(url, what, words) for what, words in findings(readable_text(response.get_data(as_text=True)))]
    assert seen > (5 if role == ANON else 20)
    assert problems == [], "say it in the user's words: a title, a date, a name (not ids, paths or codes)"
