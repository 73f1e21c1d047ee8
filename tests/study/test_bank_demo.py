"""The demo bank: every question passes the bank's rules, daily questions and answers look real."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.credits.models import LedgerEntry
from portal.demo import study_bank
from portal.extensions import db
from portal.study.models.daily import DailyAnswer, DailyQuestion
from portal.study.models.questions import Question
from portal.study.services import daily, marking
from tests import factories


def test_demo_bank_daily_questions_and_answers(world, now):
    now.set(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 22:00 in Shanghai, a Monday
    today = daily.today()
    for index in range(12):
        factories.make_person(world.unit_a if index % 2 else world.unit_b, f"党员{index}")
    result = study_bank.load(world.committee, [world.branch_a, world.branch_b], rng=random.Random(5), today=today)
    db.session.commit()

    questions = db.session.scalars(select(Question)).all()
    assert result.questions == len(questions) >= 60
    assert {q.kind for q in questions} == {"single", "multiple", "true_false", "fill"}
    tags = {t for q in questions for t in q.tag_names}
    assert {"党章党规", "安全生产", "三会一课", "煤矿安全规程"} <= tags
    assert sum(1 for q in questions if q.explanation) > 40
    assert len({q.fingerprint for q in questions}) == len(questions)  # no duplicates

    rows = db.session.scalars(select(DailyQuestion)).all()
    assert {r.day for r in rows} == {today - timedelta(days=n) for n in range(study_bank.PAST_DAYS)}
    assert any(not r.auto and r.organisation_id == world.committee.id for r in rows)  # Monday picks
    assert any(not r.auto and r.organisation_id == world.branch_a.id for r in rows)  # Wednesday picks
    assert daily.resolve(world.branch_b, today).question.organisation_id == world.committee.id

    answers = db.session.scalars(select(DailyAnswer)).all()
    assert result.answers == len(answers) > 50
    assert 0.5 < sum(a.correct for a in answers) / len(answers) < 0.95
    for answer in answers:
        question = answer.daily_question.question
        assert answer.correct == marking.is_correct(question.kind, question.answer, answer.given)
    # The demo accounts find today's question waiting.
    account_people = {world.people.member.id, world.people.secretary.id, world.people.activist.id}
    assert not [a for a in answers if a.day == today and a.person_id in account_people]
    credited = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                 .where(LedgerEntry.rule_code == "daily_question"))
    assert credited == result.credited == len({(a.person_id, a.day) for a in answers if a.correct})
