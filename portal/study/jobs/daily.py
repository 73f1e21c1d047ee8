"""Scheduled daily-question jobs; plain functions run inside an app context by the scheduler."""

from portal.extensions import db
from portal.roster import services as roster
from portal.roster.models import OrgKind
from portal.study.services.daily import draw_for, today


def draw_daily_questions(day=None):
    """Store the automatic draw for every branch with no pick for the day; safe to run twice.

    One commit per branch, so a failure in one branch keeps the others' draws.
    """
    day = day or today()
    drawn = 0
    for org in roster.organisation_tree():
        if org.kind == OrgKind.BRANCH and draw_for(org, day):
            db.session.commit()
            drawn += 1
    return drawn


# (job id, function, cron fields in Asia/Shanghai): draw each branch's question before the
# first shift comes up; members opening the page earlier still get the same deterministic draw.
SCHEDULE = [
    ("study.draw_daily_questions", draw_daily_questions, {"hour": 0, "minute": 10}),
]
