"""The study module's demo content, loaded after the mine and its credit activity.

Order matters: the question bank comes before the weekly tests that draw from it, and every
loader runs after the bulk credit activity (which only writes into an empty ledger).
"""

import random
from dataclasses import dataclass

from sqlalchemy import select

from portal.core import clock
from portal.demo import study_articles, study_bank, study_meetings, study_quizzes
from portal.extensions import db
from portal.roster.models import Organisation, OrgKind


@dataclass
class StudyDemo:
    """What each study loader wrote, for the summary `flask demo load` prints."""

    articles: object
    bank: object
    quizzes: object
    meetings: object


def load_study(seed):
    """Articles and plans, the bank and daily questions, weekly tests, and branch sessions."""
    committee = db.session.scalar(select(Organisation).where(Organisation.parent_id.is_(None)))
    branches = db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH)
                                  .order_by(Organisation.sort_order, Organisation.id)).all()
    today = clock.localnow().date()
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    return StudyDemo(
        bank=study_bank.load(committee, branches, rng=rng, today=today),
        articles=study_articles.load(committee, branches, rng=rng, today=today),
        quizzes=study_quizzes.load(committee, branches, rng=rng, today=today),
        meetings=study_meetings.load(committee, branches, rng=rng, today=today),
    )


def summary(result):
    """One line in Chinese for the command's output."""
    a, b, q, m = result.articles, result.bank, result.quizzes, result.meetings
    return (f"  学习：文章 {a.articles} 篇（安排 {a.assignments} 条，阅读 {a.reads} 次）；"
            f"题库 {b.questions} 题，每日一题答题 {b.answers} 次；每周一测 {q.tests} 场（答卷 {q.attempts} 份）；"
            f"组织生活 {m.meetings} 次（签到 {m.attendances} 人次，心得 {m.reflections} 篇）")
