"""The demo mine's weekly tests: last week's taken by most members, this week's open."""

from sqlalchemy import select

from portal.demo import study_bank, study_quizzes
from portal.extensions import db
from portal.study.models.quizzes import AttemptStatus, Quiz, QuizAttempt
from portal.study.services import quizzes


def test_demo_has_last_weeks_results_and_this_weeks_open_test(world):
    branches = [world.branch_a, world.branch_b]
    study_bank.load(world.committee, branches)
    result = study_quizzes.load(world.committee, branches)
    db.session.commit()
    last, this = db.session.scalars(select(Quiz).order_by(Quiz.opens_at)).all()
    assert result.tests == 2 and result.attempts >= 1
    assert last.closes_at < this.opens_at and quizzes.review_open(last)
    assert quizzes.default_window()[0] == this.opens_at and not quizzes.review_open(this)
    taken = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_id == last.id)).all()
    assert taken and all(a.status == AttemptStatus.SUBMITTED and a.score is not None for a in taken)
    # The demo accounts find this week's test still to take.
    mine = db.session.scalar(select(QuizAttempt).where(QuizAttempt.quiz_id == this.id,
                                                       QuizAttempt.person_id == world.people.member.id))
    assert mine is None
