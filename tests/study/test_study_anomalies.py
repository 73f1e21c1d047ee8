"""异常提醒 for study: reads confirmed at the minimum time and tests handed in within seconds are found."""

from datetime import timedelta

import pytest

from portal.core.periods import PeriodKind, period_containing
from portal.credits import anomalies
from portal.credits import services as credits
from portal.extensions import db
from portal.study.models.articles import ArticleRead
from portal.study.models.quizzes import AttemptStatus
from portal.study.services import attempts
from tests.study.article_factories import at, make_article
from tests.study.quiz_factories import actor_of, make_bank, make_quiz

NOVEMBER = period_containing(PeriodKind.MONTH, at(2026, 11, 1).date())
OCTOBER, DECEMBER = NOVEMBER.previous(), NOVEMBER.next()
MIN_TIME, QUICK_QUIZ = "study_min_time", "study_quick_quiz"


def flagged(code, period=NOVEMBER, branch_ids=None):
    """{name: detail} of the people detector `code` points at."""
    finding = next(f for f in anomalies.run_detectors(period, branch_ids) if f.detector.code == code)
    return {row.name: row.detail for row in finding.rows}


def read(person, article, confirmed, seconds, branch=None):
    """`person` confirmed `article` at local moment `confirmed` after `seconds` on its page."""
    db.session.add(ArticleRead(
        person_id=person.id, article_id=article.id, branch_id=(branch or person.branch).id,
        started_at=confirmed - timedelta(seconds=seconds), read_at=confirmed))


def read_series(person, articles, seconds_over, first_day=2, hour=21, branch=None):
    """Read articles[i] on consecutive local days, seconds_over[i] seconds past its own minimum."""
    for n, over in enumerate(seconds_over):
        article = articles[n]
        read(person, article, at(2026, 11, first_day + n, hour), article.reading_seconds + over, branch)


@pytest.fixture()
def articles(world, now):
    """Twelve committee articles whose minimum reading times differ (60, 90, 120 seconds)."""
    now.set(at(2026, 11, 25))
    return [make_article(world.committee, title=f"学习文章{n}", reading_seconds=(60, 90, 120)[n % 3])
            for n in range(12)]


def test_reading_at_the_minimum_article_after_article_is_found(world, articles):
    people = world.people
    read_series(people.member, articles, [0, 1, 2] * 3 + [2, 1, 240])  # 11 of 12 within 2 s
    read_series(people.secretary, articles[:10], [0, 1, 2, 0, 1, 2, 300, 420, 95, 600])  # 6 of 10: 60%
    read_series(people.activist, articles[:4], [0, 0, 1, 1])  # every read, but only 4
    read_series(people.other, articles, [3] * 12)  # always 3 s over: outside the tolerance
    read_series(people.committee, articles, [45, 130, 600, 80, 200, 75, 90, 310, 66, 140, 500, 70])
    db.session.commit()
    assert flagged(MIN_TIME) == {"张三": "本期 12 篇中有 11 篇在达到最短阅读时间后 2 秒内确认"}


def test_five_reads_at_the_minimum_that_are_most_of_them_are_enough(world, articles):
    read_series(world.people.member, articles[:6], [0, 0, 0, 0, 0, 500])  # 5 of 6: 83%
    read_series(world.people.other, articles[:7], [0, 0, 0, 0, 0, 500, 500])  # 5 of 7: 71%
    db.session.commit()
    assert flagged(MIN_TIME) == {"张三": "本期 6 篇中有 5 篇在达到最短阅读时间后 2 秒内确认"}


def test_reads_fall_in_the_period_of_their_local_date(world, articles):
    # Just after local midnight on 1 November is still 31 October in UTC: November's.
    for n in range(5):
        read(world.people.other, articles[n], at(2026, 11, 1, 0, 0, 30 + n), articles[n].reading_seconds)
    # Just after local midnight on 1 December is still 30 November in UTC: December's.
    for n in range(5):
        read(world.people.member, articles[n], at(2026, 12, 1, 0, 0, 30 + n), articles[n].reading_seconds)
    db.session.commit()
    assert list(flagged(MIN_TIME)) == ["陈五"]
    assert flagged(MIN_TIME, OCTOBER) == {}
    assert list(flagged(MIN_TIME, DECEMBER)) == ["张三"]


def test_reading_checks_keep_to_the_viewers_branches(world, articles):
    read_series(world.people.member, articles[:5], [1] * 5)
    # 陈五 read these while in branch A; the read keeps the branch it was made in.
    read_series(world.people.other, articles[:5], [1] * 5, branch=world.branch_a)
    read_series(world.people.committee, articles[:5], [0] * 5)
    db.session.commit()
    assert set(flagged(MIN_TIME, branch_ids=[world.branch_a.id])) == {"张三", "陈五"}
    assert set(flagged(MIN_TIME, branch_ids=[world.branch_b.id])) == {"刘委员"}
    assert set(flagged(MIN_TIME)) == {"张三", "陈五", "刘委员"}


@pytest.fixture()
def quiz(world, now):
    """A published five-question test for both branches, open now (Monday 16 November, 09:00), two attempts."""
    now.set(at(2026, 11, 16, 9))
    make_bank(world.committee)
    return make_quiz(world.users.committee, world.committee, [world.branch_a, world.branch_b], attempts_allowed=2)


def sit(quiz, person, seconds, score, status=AttemptStatus.SUBMITTED):
    """`person` starts `quiz` now and it ends `seconds` later with `score` (stored as marking would)."""
    attempt = attempts.start(actor_of(person), quiz)
    attempt.status, attempt.score = status, score
    attempt.finished_at = attempt.started_at + timedelta(seconds=seconds)
    db.session.commit()
    return attempt


def test_a_test_handed_in_within_seconds_with_a_high_score_is_found(world, quiz):
    people = world.people
    assert len(sit(quiz, people.member, 14, 90.0).items) == 5  # 2.8 s a question, a score of 90
    sit(quiz, people.activist, 8, 40.0)  # fast but low
    sit(quiz, people.secretary, 15, 100.0)  # 3 s a question is not under 3
    sit(quiz, people.other, 6, 100.0, AttemptStatus.EXPIRED)  # closed by the deadline, not handed in
    sit(quiz, people.committee, 600, 60.0)
    sit(quiz, people.committee, 5, 100.0)  # the second attempt is practice and does not count
    assert flagged(QUICK_QUIZ) == {"张三": "《第 47 周安全生产测试》5 题用时 14 秒，得分 90"}
    assert flagged(QUICK_QUIZ, OCTOBER) == {}


def test_every_quick_test_of_a_person_is_listed(world, quiz, now):
    second = make_quiz(world.users.committee, world.committee, [world.branch_a], title="第 47 周党章党规测试")
    sit(quiz, world.people.member, 9, 100.0)
    now.set(at(2026, 11, 16, 9, 30))
    sit(second, world.people.member, 4, 92.5)
    assert flagged(QUICK_QUIZ) == {
        "张三": "《第 47 周安全生产测试》5 题用时 9 秒，得分 100；《第 47 周党章党规测试》5 题用时 4 秒，得分 92.5"}


def test_test_checks_keep_to_the_viewers_branches(world, quiz):
    sit(quiz, world.people.member, 10, 100.0)
    sit(quiz, world.people.other, 7, 95.0)
    assert list(flagged(QUICK_QUIZ, branch_ids=[world.branch_a.id])) == ["张三"]
    assert list(flagged(QUICK_QUIZ, branch_ids=[world.branch_b.id])) == ["陈五"]
    assert set(flagged(QUICK_QUIZ)) == {"张三", "陈五"}


def test_the_committee_sees_both_checks_on_the_anomalies_page(client, login_as, world, articles, quiz, now):
    read_series(world.people.member, articles[:6], [1] * 6)
    sit(quiz, world.people.other, 8, 100.0)
    now.set(at(2026, 10, 9))
    credits.adjust(world.users.committee, world.people.secretary, 1, "十月补记")  # October has credit data
    db.session.commit()
    now.set(at(2026, 11, 25))
    login_as(world.users.committee)
    page = client.get("/credits/anomalies").get_data(as_text=True)
    reading = page.split(f'data-testid="finding-{MIN_TIME}"')[1].split("</section>")[0]
    assert "阅读总是刚到最短时间就确认（本期 ≥5 篇，占 80% 以上）" in reading and "1 人" in reading
    assert "张三" in reading and "本期 6 篇中有 6 篇在达到最短阅读时间后 2 秒内确认" in reading
    assert f'href="/credits/people/{world.people.member.id}?period=month:2026-11-01"' in reading
    testing = page.split(f'data-testid="finding-{QUICK_QUIZ}"')[1].split("</section>")[0]
    assert "每周一测数秒交卷且得高分（每题不到 3 秒，得分 ≥90）" in testing and "由他人代答" in testing
    assert "陈五" in testing and "5 题用时 8 秒，得分 100" in testing and "张三" not in testing
    october = client.get("/credits/anomalies?period=month:2026-10-01").get_data(as_text=True)
    quiet = october.split(f'data-testid="finding-{MIN_TIME}"')[1].split("</section>")[0]
    assert "未发现" in quiet and "finding-row" not in quiet
