"""Builders and helpers for the 每日一学 tests (articles, plans, reads)."""

import re
from datetime import date, datetime

from portal.core import clock
from portal.extensions import db
from portal.study.models.articles import Article, StudyAssignment

# Monday 23 November 2026, 10:00 in Asia/Shanghai: the tests' "now".
TODAY = date(2026, 11, 23)


def at(y, m, d, hour=10, minute=0, second=0):
    """A moment in Asia/Shanghai local time, as an aware datetime."""
    return datetime(y, m, d, hour, minute, second, tzinfo=clock.LOCAL_TZ)


NOW = at(2026, 11, 23)


def make_article(org, title="学习党章", body="## 第一章\n\n党员必须履行的义务。", reading_seconds=60, **extra):
    """An article owned by `org` (a portal article unless a slug is given)."""
    article = Article(organisation=org, title=title, body=body, reading_seconds=reading_seconds,
                      published_on=extra.pop("published_on", TODAY), source=extra.pop("source", ""), **extra)
    db.session.add(article)
    db.session.flush()
    return article


def plan(article, org, day=TODAY):
    """Put `article` on the plan for `org` on `day`."""
    assignment = StudyAssignment(article=article, organisation=org, day=day)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def token_of(page):
    """The reading token in a served article page."""
    found = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="token" type="hidden" value="([^"]+)"', page)
    assert found, "no reading token on the page"
    return found.group(1)
