"""A member's ledger with an entry of every kind the portal books, on the access matrix's sample data."""

from datetime import timedelta

from portal.core.clock import localnow, utcnow
from portal.credits import services as credits
from portal.extensions import db
from portal.study.models.articles import ArticleRead
from portal.study.models.daily import DailyAnswer, DailyQuestion

# What each sample object is called (tests/security/test_access_matrix.py and the sample helpers).
TITLES = {
    "每日一学": "矩阵测试文章",
    "每日一题": "矩阵测试题",
    "每周一测": "矩阵测试",
    "组织生活": "矩阵测试研讨",
    "心得体会": "矩阵测试研讨",
}


def sample_values(world):
    """The matrix's sample article, question, session (with a reflection) and the member's test attempt."""
    from tests.security import test_access_matrix as matrix
    from tests.study import meeting_helpers, quiz_factories

    return {**matrix._article_values(world), "question_id": matrix._question_id(world),
            **meeting_helpers.sample_values(world), **quiz_factories.sample_values(world)}


def book_every_source(world, values):
    """Credit the member once from each study source, adjust them by hand and reverse that; commit.

    The article read and today's answered question are made here (the member read the sample
    article and answered the sample question); the rest are the sample's own objects.
    """
    member, committee = world.people.member, world.users.committee
    now, today = utcnow(), localnow().date()
    read = ArticleRead(person_id=member.id, article_id=values["article_id"], branch_id=member.branch_id,
                       started_at=now - timedelta(minutes=5), read_at=now)
    daily = DailyQuestion(organisation_id=world.branch_a.id, day=today, question_id=values["question_id"])
    db.session.add_all([read, daily])
    db.session.flush()
    answer = DailyAnswer(daily_question_id=daily.id, person_id=member.id, branch_id=member.branch_id, day=today,
                         given=["A"], correct=True)
    db.session.add(answer)
    db.session.flush()
    credits.award(member, "study_read", credits.Source("article_read", read.id))
    credits.award(member, "daily_question", credits.Source("daily_answer", answer.id))
    credits.award(member, "weekly_test", credits.Source("quiz_attempt", values["attempt_id"]), score=80)
    credits.award(member, "session_attend", credits.Source("meeting", values["meeting_id"]))
    credits.award(member, "reflection", credits.Source("reflection", values["reflection_id"]), score=90)
    adjusted = credits.adjust(committee, member, 5, "抢险救灾表现突出")
    credits.reverse(committee, adjusted.id, "重复录入")
    db.session.commit()
