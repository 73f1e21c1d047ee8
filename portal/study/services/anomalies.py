"""异常提醒 for study: articles confirmed the moment the minimum time is up, tests handed in within seconds.

The credits module keeps the registry of explained checks (portal.credits.anomalies) and must not
know about study, so these detectors register themselves there when the study services are
imported (portal/study/services/__init__.py). Like every detector they only point at people
worth a look: a quick reader or a quick test-taker may be honest, and nothing here changes the
ledger. Periods are local dates; the reads and attempts are placed in them by the UTC moment they
were confirmed or handed in.
"""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from portal.core.clock import LOCAL_TZ
from portal.credits.anomalies import detector, finding_rows
from portal.extensions import db
from portal.roster.models import Person
from portal.study.models.articles import Article, ArticleRead
from portal.study.models.quizzes import AttemptItem, AttemptStatus, Quiz, QuizAttempt
from portal.study.services.attempts import COUNTED_NUMBER

# A read confirmed at most this many seconds after its article's minimum counts as "at the minimum":
# the button unlocks at the minimum, and a second or two is the time it takes to press it.
MIN_TIME_TOLERANCE_SECONDS = 2
# A reader is flagged with at least this many such reads in the period ...
MIN_TIME_READS = 5
# ... when they are also at least this share (per cent) of all their reads in it.
MIN_TIME_SHARE_PERCENT = 80

# A counted test handed in in less than this many seconds per question on the paper ...
QUICK_QUIZ_SECONDS_PER_QUESTION = 3
# ... with at least this score (out of 100) is flagged.
QUICK_QUIZ_SCORE = 90


def _utc_bounds(period):
    """The period's local dates [start, end] as UTC moments [first, after)."""
    first = datetime.combine(period.start, time(0), tzinfo=LOCAL_TZ)
    after = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return first.astimezone(UTC), after.astimezone(UTC)


@detector(
    "study_min_time",
    f"阅读总是刚到最短时间就确认（本期 ≥{MIN_TIME_READS} 篇，占 {MIN_TIME_SHARE_PERCENT}% 以上）",
    "每日一学要求在文章页面停留到最短阅读时间后才能确认“我已读完”。认真阅读的用时有长有短，"
    f"很少篇篇都恰好卡在最短时间上。同一人大多数文章都在按钮可用后 {MIN_TIME_TOLERANCE_SECONDS} 秒内确认，"
    "可能是等计时结束就点击而没有阅读，也可能是最短时间设得偏长，请结合文章篇幅和本人情况了解后判断。",
)
def find_minimum_time_reads(period, branch_ids=None):
    """Readers who confirmed most of the period's articles (and at least MIN_TIME_READS) at the minimum time."""
    first, after = _utc_bounds(period)
    stmt = (
        select(ArticleRead.person_id, ArticleRead.started_at, ArticleRead.read_at, Article.reading_seconds)
        .join(Article, Article.id == ArticleRead.article_id)
        .where(ArticleRead.read_at >= first, ArticleRead.read_at < after)
    )
    if branch_ids is not None:
        # The reader's branch when they read, as the ledger books the credit to it.
        stmt = stmt.where(ArticleRead.branch_id.in_(branch_ids))
    tallies = {}  # person id -> [reads, reads at the minimum]
    for person_id, started_at, read_at, minimum in db.session.execute(stmt):
        tally = tallies.setdefault(person_id, [0, 0])
        tally[0] += 1
        # A read under the minimum (which the page refuses) is at least as suspect, so it counts too.
        if (read_at - started_at).total_seconds() - minimum <= MIN_TIME_TOLERANCE_SECONDS:
            tally[1] += 1
    found = {
        person_id: f"本期 {total} 篇中有 {quick} 篇在达到最短阅读时间后 {MIN_TIME_TOLERANCE_SECONDS} 秒内确认"
        for person_id, (total, quick) in tallies.items()
        if quick >= MIN_TIME_READS and quick * 100 >= MIN_TIME_SHARE_PERCENT * total
    }
    return finding_rows(found)


@detector(
    "study_quick_quiz",
    f"每周一测数秒交卷且得高分（每题不到 {QUICK_QUIZ_SECONDS_PER_QUESTION} 秒，得分 ≥{QUICK_QUIZ_SCORE}）",
    "每周一测的每道题都要读题、想一想再作答。计入成绩的答题记录平均每题用时不到 "
    f"{QUICK_QUIZ_SECONDS_PER_QUESTION} 秒却得了高分，可能是事先拿到了答案、由他人代答或借助脚本，"
    "也可能是对题库非常熟悉，请查看答题记录后判断。",
)
def find_quick_high_scores(period, branch_ids=None):
    """People who handed in a counted test in seconds for its number of questions and still scored high."""
    first, after = _utc_bounds(period)
    questions = (
        select(func.count()).select_from(AttemptItem).where(AttemptItem.attempt_id == QuizAttempt.id)
        .correlate(QuizAttempt).scalar_subquery()
    )
    stmt = (
        select(QuizAttempt.person_id, Quiz.title, QuizAttempt.started_at, QuizAttempt.finished_at,
               QuizAttempt.score, questions)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        # Handed in by the member (an expired attempt was closed by the deadline), first attempt only:
        # later attempts are practice and earn nothing.
        .where(QuizAttempt.number == COUNTED_NUMBER, QuizAttempt.status == AttemptStatus.SUBMITTED,
               QuizAttempt.finished_at >= first, QuizAttempt.finished_at < after,
               QuizAttempt.score >= QUICK_QUIZ_SCORE)
        .order_by(QuizAttempt.person_id, QuizAttempt.finished_at, QuizAttempt.id)
    )
    if branch_ids is not None:
        # Attempts keep no branch of their own: the taker's branch, as the test results page uses.
        stmt = stmt.join(Person, Person.id == QuizAttempt.person_id).where(Person.branch_id.in_(branch_ids))
    found = {}
    for person_id, title, started_at, finished_at, score, count in db.session.execute(stmt):
        seconds = (finished_at - started_at).total_seconds()
        if seconds < QUICK_QUIZ_SECONDS_PER_QUESTION * count:
            detail = f"《{title}》{count} 题用时 {max(0, int(seconds))} 秒，得分 {score:g}"
            found.setdefault(person_id, []).append(detail)
    return finding_rows({person_id: "；".join(details) for person_id, details in found.items()})
