"""A year (or any span) of credit activity for a loaded demo mine, written in bulk.

The generator writes what `credits.services.award()` would have written for real events
(same columns, source types, rule versions, booked_on in Asia/Shanghai, the person's branch),
but as chunked bulk INSERTs: award() checks caps and duplicates one event at a time, which
is right for a request and far too slow for a million rows. The events are planned so that
no cap is ever exceeded and no (rule, source, person) repeats. Afterwards the running totals
are rebuilt from the ledger and every ended period is frozen, as the closing job would have.

Nothing is committed here: the command commits once.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, insert, select

from portal.accounts.models import RoleGrant, User
from portal.core import clock
from portal.core.exceptions import ConflictError
from portal.core.permissions import Role
from portal.credits import services as credits
from portal.credits import standings
from portal.credits.models import CreditAdjustment, LedgerEntry
from portal.credits.rules import MANUAL
from portal.extensions import db
from portal.roster.models import PARTY_STATUSES, Person, PersonStatus, PoliticalStatus

CHUNK_SIZE = 5000
LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai has had no daylight saving since 1991
STUDENTS = (*PARTY_STATUSES, PoliticalStatus.ACTIVIST)
SESSIONS_PER_MONTH = 3  # 支委会, 党小组会, 主题党日 (and the quarterly 党员大会 / 党课 folded in)
ADJUSTMENTS_PER_1000_DAYS = 0.6  # per person: a few hundred manual adjustments a year in a 5,000-person mine
REVERSALS_PER_MONTH = 8
DAY_NO_BASE = 730_000  # ordinal of a day in 1999: daily ids stay small and positive
ADJUSTMENT_REASONS = (
    (5, "主动参加抢险救灾志愿服务"), (3, "在矿区安全宣讲中表现突出"), (2, "协助支部整理学习档案"),
    (-2, "无故缺席主题党日活动"), (-3, "学习笔记抄袭他人"), (4, "带头完成井下技术攻关"),
)
REVERSAL_REASONS = ("重复签到，冲销多记积分", "答题记录经核查为代答", "活动签到信息有误")
# The generated entries' own source types: apart from the study module's (article_read, ...), so a
# real read, answer or test later is never mistaken for one already credited. Named like them.
for _source_type, _label in (("article", "每日一学"), ("daily_question", "每日一题"), ("attempt", "每周一测"),
                             ("session", "组织生活")):
    credits.register_source(_source_type, _label)


class LedgerNotEmpty(ConflictError):
    """Activity can only be generated into an empty ledger (it would clash with real entries)."""


@dataclass
class ActivityResult:
    """What generate_activity wrote, for the summary the command prints."""

    days: int
    people: int
    entries: int
    totals: int
    closed: int


@dataclass
class _Writer:
    """Collects ledger rows and inserts them CHUNK_SIZE at a time."""

    rows: list
    written: int = 0

    def add(self, row):
        """Queue one row; flush a full chunk."""
        self.rows.append(row)
        if len(self.rows) >= CHUNK_SIZE:
            self.flush()

    def flush(self):
        """Insert the queued rows."""
        if self.rows:
            db.session.execute(insert(LedgerEntry.__table__), self.rows)
            self.written += len(self.rows)
            self.rows = []


def _utc(day, minutes):
    """The aware UTC moment of a local date plus minutes after local midnight."""
    return datetime.combine(day, time(), UTC) + timedelta(minutes=minutes) - LOCAL_OFFSET


def _committee_user():
    """Who records manual adjustments and reversals: the demo committee account, else any user."""
    user = db.session.scalar(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                             .where(RoleGrant.role == Role.COMMITTEE).order_by(User.id))
    return user or db.session.scalar(select(User).order_by(User.id))


def generate_activity(days=365, seed=None):
    """Write `days` days of credit activity up to now, rebuild the totals, close the ended periods."""
    if db.session.scalar(select(LedgerEntry.id).limit(1)) is not None:
        raise LedgerNotEmpty("积分台账中已有记录，演示积分活动只能生成到空台账中")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    now = clock.utcnow()
    today = clock.localnow().date()
    first = today - timedelta(days=days - 1)
    rules = {rule.code: rule for rule in credits.ensure_default_rules()}
    people = db.session.execute(
        select(Person.id, Person.branch_id, Person.political_status)
        .where(Person.political_status.in_(STUDENTS), Person.status == PersonStatus.ON_POST)
        .order_by(Person.id)
    ).all()
    writer = _Writer([])
    plan = _Plan(rng, rules, first, today, now, writer)
    plan.sessions(people)
    for person in people:
        plan.person(person)
    writer.flush()
    recorder = _committee_user()
    _adjustments(rng, rules[MANUAL], people, first, today, now, recorder, writer)
    _reversals(rng, first, today, now, recorder, writer)
    writer.flush()
    totals = standings.rebuild_totals()
    closed = 0
    for period in standings.periods_to_close():
        if standings.close_period(period) is not None:
            closed += 1
    db.session.flush()
    return ActivityResult(days=days, people=len(people), entries=writer.written, totals=totals, closed=closed)


class _Plan:
    """Turns each person's habits into ledger rows, day by day, within every rule's caps."""

    def __init__(self, rng, rules, first, today, now, writer):
        self.rng, self.rules, self.first, self.today, self.now, self.writer = rng, rules, first, today, now, writer
        self.days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
        self.attempt_id = 0
        self.reflection_id = 0
        self.branch_sessions = {}

    def _row(self, person, code, source_type, source_id, points, day, minutes):
        earned = _utc(day, minutes)
        if earned > self.now:
            return
        rule = self.rules[code]
        self.writer.add(dict(
            person_id=person.id, branch_id=person.branch_id, points=points, rule_id=rule.id, rule_code=code,
            source_type=source_type, source_id=source_id, earned_at=earned, booked_on=day, late_note=None,
            recorded_by_id=None, reason=None, reverses_id=None, created_at=earned + timedelta(seconds=1),
        ))

    def sessions(self, people):
        """Each branch's 组织生活 dates: about three a month, ids unique across the mine."""
        session_id = 0
        for branch_id in sorted({p.branch_id for p in people if p.branch_id is not None}):
            dates = []
            for day in self.days:
                if self.rng.random() < SESSIONS_PER_MONTH / 30:
                    session_id += 1
                    dates.append((session_id, day))
            self.branch_sessions[branch_id] = dates

    def person(self, person):
        """One person's year: daily reading and question, weekly tests, sessions and reflections."""
        rng = self.rng
        member = person.political_status in PARTY_STATUSES
        # How keen this person is: most study on most days, a few rarely.
        keen = min(0.97, max(0.15, rng.gauss(0.72 if member else 0.62, 0.18)))
        month_counts = {}
        for day in self.days:
            day_no = day.toordinal() - DAY_NO_BASE  # the day's article and question ids
            if rng.random() < keen:
                self._row(person, "study_read", "article", 2 * day_no + 1, 1, day, rng.randint(360, 1380))
                if rng.random() < keen * 0.6:
                    self._row(person, "study_read", "article", 2 * day_no + 2, 1, day, rng.randint(360, 1380))
            if rng.random() < keen * 0.9:
                self._row(person, "daily_question", "daily_question", day_no, 1, day, rng.randint(360, 1380))
            if day.weekday() == 4 and rng.random() < keen:  # the weekly test opens on Fridays
                self.attempt_id += 1
                score = min(100, max(40, round(rng.gauss(82, 12))))
                self._row(person, "weekly_test", "attempt", self.attempt_id, round(10 * score / 100), day,
                          rng.randint(1080, 1380))
            month = (day.year, day.month)
            if day.day >= 20 and month_counts.get(month, 0) < 2 and rng.random() < keen * 0.08:
                month_counts[month] = month_counts.get(month, 0) + 1
                self.reflection_id += 1
                score = min(100, max(50, round(rng.gauss(85, 8))))
                self._row(person, "reflection", "reflection", self.reflection_id, round(5 * score / 100), day,
                          rng.randint(1140, 1380))
        for session_id, day in self.branch_sessions.get(person.branch_id, ()):
            if rng.random() < 0.6 + 0.35 * keen:
                self._row(person, "session_attend", "session", session_id, 3, day, rng.randint(840, 960))


def _adjustments(rng, rule, people, first, today, now, recorder, writer):
    """A few manual bonuses and penalties by the committee, each with its CreditAdjustment."""
    if recorder is None or not people:
        return
    count = round(len(people) * ((today - first).days + 1) * ADJUSTMENTS_PER_1000_DAYS / 1000)
    planned = []
    for _ in range(count):
        person = rng.choice(people)
        points, reason = rng.choice(ADJUSTMENT_REASONS)
        day = first + timedelta(days=rng.randrange((today - first).days + 1))
        when = min(_utc(day, rng.randint(540, 1020)), now)
        planned.append((person, CreditAdjustment(person_id=person.id, points=points, reason=reason,
                                                 created_by_id=recorder.id, created_at=when)))
    db.session.add_all(adjustment for _, adjustment in planned)
    db.session.flush()
    for person, adjustment in planned:
        when = adjustment.created_at
        writer.add(dict(
            person_id=person.id, branch_id=person.branch_id, points=adjustment.points, rule_id=rule.id,
            rule_code=MANUAL, source_type="adjustment", source_id=adjustment.id, earned_at=when,
            booked_on=(when + LOCAL_OFFSET).date(), late_note=None, recorded_by_id=recorder.id,
            reason=adjustment.reason, reverses_id=None, created_at=when,
        ))
    writer.flush()


def _reversals(rng, first, today, now, recorder, writer):
    """A few entries cancelled by reversing entries a few days later (never a reversal of a reversal)."""
    if recorder is None:
        return
    low, high = db.session.execute(select(func.min(LedgerEntry.id), func.max(LedgerEntry.id))).one()
    if low is None:
        return
    months = max(1, ((today - first).days + 1) // 30)
    wanted = {rng.randint(low, high) for _ in range(REVERSALS_PER_MONTH * months)}
    originals = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.person_id, LedgerEntry.branch_id, LedgerEntry.points,
               LedgerEntry.rule_id, LedgerEntry.rule_code, LedgerEntry.booked_on)
        .where(LedgerEntry.id.in_(sorted(wanted)), LedgerEntry.rule_code != MANUAL)
    ).all()
    for original in originals:
        day = min(original.booked_on + timedelta(days=rng.randint(1, 5)), today)
        when = min(_utc(day, rng.randint(540, 1020)), now)
        writer.add(dict(
            person_id=original.person_id, branch_id=original.branch_id, points=-original.points,
            rule_id=original.rule_id, rule_code=original.rule_code, source_type="reversal",
            source_id=original.id, earned_at=when, booked_on=(when + LOCAL_OFFSET).date(), late_note=None,
            recorded_by_id=recorder.id, reason=rng.choice(REVERSAL_REASONS), reverses_id=original.id,
            created_at=when,
        ))
