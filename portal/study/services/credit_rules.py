"""The credit rules the study module awards, and how its ledger entries' sources are named and described.

Imported with the study services, so the rules exist wherever the study module does.
"""

from sqlalchemy import select

from portal.credits import rules, services
from portal.extensions import db
from portal.study.models.articles import Article, ArticleRead
from portal.study.models.daily import DailyAnswer, DailyQuestion
from portal.study.models.meetings import Meeting, MeetingReflection
from portal.study.models.questions import Question
from portal.study.models.quizzes import Quiz, QuizAttempt

READ = rules.register_rule("study_read", name="每日一学", points=1, daily_cap=2, applies_to=rules.STUDENTS,
                           description="阅读当日学习文章并达到最短阅读时间")
DAILY_QUESTION = rules.register_rule("daily_question", name="每日一题", points=1, daily_cap=1,
                                     applies_to=rules.STUDENTS, description="答对当日题目")
WEEKLY_TEST = rules.register_rule("weekly_test", name="每周一测", mode="score", points=10, weekly_cap=10,
                                  applies_to=rules.STUDENTS, description="按测试得分折算：满分 100 分得 10 积分")
SESSION_ATTEND = rules.register_rule("session_attend", name="参加组织生活", points=3, applies_to=rules.STUDENTS,
                                     description="参加三会一课、主题党日、月度研讨并签到")
REFLECTION = rules.register_rule("reflection", name="心得体会", mode="score", points=5, monthly_cap=10,
                                 applies_to=rules.STUDENTS,
                                 description="心得体会经支部书记评分后折算：满分 100 分得 5 积分")



# --- what each source was about, for a member's ledger (credits.services.source_texts) ---------------

def _pairs(stmt):
    return dict(db.session.execute(stmt).all())


def describe_reads(ids):
    """An article read: the article's title."""
    return _pairs(select(ArticleRead.id, Article.title).join(Article, Article.id == ArticleRead.article_id)
                  .where(ArticleRead.id.in_(ids)))


def describe_answers(ids):
    """A daily answer: the question it answered."""
    return _pairs(select(DailyAnswer.id, Question.stem)
                  .join(DailyQuestion, DailyQuestion.id == DailyAnswer.daily_question_id)
                  .join(Question, Question.id == DailyQuestion.question_id).where(DailyAnswer.id.in_(ids)))


def describe_attempts(ids):
    """A weekly test attempt: the test's name."""
    return _pairs(select(QuizAttempt.id, Quiz.title).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
                  .where(QuizAttempt.id.in_(ids)))


def describe_meetings(ids):
    """A session attended: its topic."""
    return _pairs(select(Meeting.id, Meeting.topic).where(Meeting.id.in_(ids)))


def describe_reflections(ids):
    """A graded reflection: the topic of the session it reflects on."""
    return _pairs(select(MeetingReflection.id, Meeting.topic).join(Meeting, Meeting.id == MeetingReflection.meeting_id)
                  .where(MeetingReflection.id.in_(ids)))


services.register_source("article_read", "每日一学", describe_reads)
services.register_source("daily_answer", "每日一题", describe_answers)
services.register_source("quiz_attempt", "每周一测", describe_attempts)
services.register_source("meeting", "组织生活", describe_meetings)
services.register_source("reflection", "心得体会", describe_reflections)
