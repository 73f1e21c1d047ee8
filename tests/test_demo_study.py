"""`flask demo load` brings the study module alive (articles, bank, tests, sessions) unless --no-study."""

from sqlalchemy import func, select

from portal.study.models.articles import Article, ArticleRead
from portal.study.models.meetings import Meeting
from portal.study.models.questions import Question
from portal.study.models.quizzes import Quiz, QuizAttempt

STUDY_MODELS = (Article, ArticleRead, Question, Quiz, QuizAttempt, Meeting)


def _counts(db):
    db.session.expire_all()
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in STUDY_MODELS}


def test_demo_load_includes_the_study_content(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--people", "120", "--seed", "42"])
    assert result.exit_code == 0, result.output
    assert "学习：文章" in result.output and "每周一测" in result.output
    counts = _counts(db)
    assert all(counts[name] > 0 for name in counts), counts


def test_no_study_leaves_the_study_tables_empty(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--people", "120", "--seed", "42", "--no-study"])
    assert result.exit_code == 0, result.output
    assert "学习：" not in result.output
    assert set(_counts(db).values()) == {0}
