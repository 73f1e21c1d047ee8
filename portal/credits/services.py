"""Credit rules and the one way points enter the ledger: award(), adjust(), reverse()."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.clock import LOCAL_TZ, localnow, utcnow
from portal.core.database import upsert_add
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.periods import PeriodKind, period_containing
from portal.credits.models import (
    ClosedPeriod,
    CreditAdjustment,
    CreditRule,
    CreditTotal,
    LedgerEntry,
    RuleMode,
)
from portal.credits.rules import DEFAULT_RULES, MANUAL
from portal.extensions import db


@dataclass(frozen=True)
class Source:
    """What earned the points: a type name and the id of that object in its module."""

    type: str
    id: int


# --- rules ----------------------------------------------------------------------------------------

def rule_for(code, day):
    """The version of rule `code` valid on local date `day` (creating the default on first use)."""
    rule = _valid_version(code, day)
    if rule is None and code in DEFAULT_RULES:
        if not db.session.scalar(select(CreditRule.id).where(CreditRule.code == code)):
            _create_default(code)
        rule = _valid_version(code, day)
    if rule is None:
        raise ValidationError(f"积分规则“{code}”在 {day} 不适用或已停用")
    return rule


def _valid_version(code, day):
    return db.session.scalar(
        select(CreditRule)
        .where(CreditRule.code == code, CreditRule.valid_from <= day,
               (CreditRule.valid_to.is_(None)) | (CreditRule.valid_to >= day))
        .order_by(CreditRule.version.desc())
        .limit(1)
    )


def _create_default(code):
    """Create version 1 of a default rule; a concurrent creator winning the race is fine."""
    try:
        with db.session.begin_nested():
            db.session.add(CreditRule(code=code, version=1, valid_from=date(2000, 1, 1), **DEFAULT_RULES[code]))
    except IntegrityError:
        pass


def ensure_default_rules():
    """Create any default rule that has never existed (idempotent); returns the current rules."""
    for code in DEFAULT_RULES:
        if not db.session.scalar(select(CreditRule.id).where(CreditRule.code == code)):
            _create_default(code)
    return current_rules()


def current_rules():
    """The newest version of every rule, by code."""
    return db.session.scalars(
        select(CreditRule).where(CreditRule.is_current.is_(True)).order_by(CreditRule.code)
    ).all()


def rule_history(code):
    """Every version of one rule, newest first."""
    return db.session.scalars(
        select(CreditRule).where(CreditRule.code == code).order_by(CreditRule.version.desc())
    ).all()


def change_rule(actor, code, *, name, points, mode, daily_cap, weekly_cap, monthly_cap, applies_to,
                description=""):
    """Save new settings for a rule as a new version valid from today; older entries keep theirs."""
    if not actor.has_permission("credits.rules"):
        raise PermissionDenied("只有党委可以修改积分规则")
    current = db.session.scalar(
        select(CreditRule).where(CreditRule.code == code, CreditRule.is_current.is_(True))
    )
    if current is None:
        raise NotFound("积分规则不存在")
    if mode not in (RuleMode.FIXED, RuleMode.SCORE):
        raise ValidationError("计分方式无效", field="mode")
    if current.manual_only:
        raise ValidationError("手动加减分规则的分值由每次调整决定，不能修改")
    if not 0 < points <= 1000:
        raise ValidationError("分值应在 1 到 1000 之间", field="points")
    for field, cap in (("daily_cap", daily_cap), ("weekly_cap", weekly_cap), ("monthly_cap", monthly_cap)):
        if cap is not None and cap < 1:
            raise ValidationError("上限应为正整数，不设上限请留空", field=field)
    today = localnow().date()
    current.is_current = False
    current.valid_to = today - timedelta(days=1)
    rule = CreditRule(
        code=code, version=current.version + 1, name=name.strip() or current.name, description=description,
        mode=mode, points=points, daily_cap=daily_cap, weekly_cap=weekly_cap, monthly_cap=monthly_cap,
        applies_to=",".join(applies_to), valid_from=today, manual_only=False, created_by_id=actor.id,
    )
    db.session.add(rule)
    db.session.flush()
    audit.record("credit_rule_changed", target=rule, actor=actor, detail=f"{rule.name} 第 {rule.version} 版")
    return rule


# --- awarding -------------------------------------------------------------------------------------

def award(person, rule_code, source, when=None, score=None, recorded_by=None):
    """Credit `person` once for `source` under rule `rule_code`; returns the entry, or None.

    Idempotent: the same (rule, source, person) returns the entry already written. Returns None
    when the rule does not apply to the person or a cap leaves nothing to award.
    """
    when = when or utcnow()
    rule = rule_for(rule_code, when.astimezone(LOCAL_TZ).date())
    if rule.manual_only:
        raise ValidationError("手动加减分请使用“积分调整”")
    existing = _existing(rule_code, source, person.id)
    if existing is not None:
        return existing
    if rule.statuses and person.political_status not in rule.statuses:
        return None
    points = _points(rule, score)
    points = _within_caps(rule, person.id, when, points)
    if points <= 0:
        return None
    return _book(person, rule, source, points, when, recorded_by=recorded_by)


def _existing(rule_code, source, person_id):
    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.rule_code == rule_code, LedgerEntry.source_type == source.type,
        LedgerEntry.source_id == source.id, LedgerEntry.person_id == person_id,
    ))


def _points(rule, score):
    if rule.mode == RuleMode.FIXED:
        return rule.points
    if score is None or not 0 <= score <= 100:
        raise ValidationError("按成绩计分的规则需要 0 到 100 之间的成绩")
    return round(rule.points * score / 100)


def _within_caps(rule, person_id, when, points):
    day = when.astimezone(LOCAL_TZ).date()
    windows = [
        (rule.daily_cap, day, day),
        (rule.weekly_cap, day - timedelta(days=day.weekday()), day - timedelta(days=day.weekday()) + timedelta(6)),
        (rule.monthly_cap, *_month(day)),
    ]
    for cap, start, end in windows:
        if cap is None:
            continue
        used = db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                LedgerEntry.person_id == person_id, LedgerEntry.rule_code == rule.code,
                LedgerEntry.booked_on >= start, LedgerEntry.booked_on <= end,
            )
        )
        points = min(points, cap - used)
    return points


def _month(day):
    period = period_containing(PeriodKind.MONTH, day)
    return period.start, period.end


def booking_date(when):
    """The local date an event counts towards, and a note if its period was already closed."""
    day = when.astimezone(LOCAL_TZ).date()
    last_closed = db.session.scalar(select(func.max(ClosedPeriod.period_end)))
    if last_closed is None or day > last_closed:
        return day, None
    original = period_containing(PeriodKind.DEKAD, day).label
    return last_closed + timedelta(days=1), f"补记：原属{original}，该周期已结算，计入下一周期"


def _book(person, rule, source, points, when, recorded_by=None, reason=None, reverses=None):
    booked_on, late_note = booking_date(when)
    entry = LedgerEntry(
        person_id=person.id, branch_id=person.branch_id, points=points, rule_id=rule.id,
        rule_code=rule.code, source_type=source.type, source_id=source.id, earned_at=when,
        booked_on=booked_on, late_note=late_note, recorded_by_id=recorded_by.id if recorded_by else None,
        reason=reason, reverses_id=reverses.id if reverses else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        # Awarded concurrently by another request or worker: the database kept exactly one.
        existing = _existing(rule.code, source, person.id)
        if existing is None:
            raise ConflictError("该记录已被冲销过") from None
        return existing
    _add_to_totals(entry)
    return entry


def _add_to_totals(entry):
    rows = [
        dict(kind=str(kind), period_start=period_containing(kind, entry.booked_on).start,
             person_id=entry.person_id, branch_id=entry.branch_id, points=entry.points, entries=1)
        for kind in PeriodKind
    ]
    upsert_add(CreditTotal, rows, ("kind", "period_start", "person_id"), ("points", "entries"), ("branch_id",))


# --- committee corrections ------------------------------------------------------------------------

def adjust(actor, person, points, reason):
    """A manual bonus (points > 0) or penalty (points < 0) with a reason; committee only, audited."""
    if not actor.has_permission("credits.adjust", person.branch):
        raise PermissionDenied("只有党委可以手动调整积分")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明调整原因", field="reason")
    if points == 0 or abs(points) > 100:
        raise ValidationError("调整分值应在 -100 到 100 之间且不为 0", field="points")
    adjustment = CreditAdjustment(person_id=person.id, points=points, reason=reason, created_by_id=actor.id)
    db.session.add(adjustment)
    db.session.flush()
    rule = rule_for(MANUAL, localnow().date())
    entry = _book(person, rule, Source("adjustment", adjustment.id), points, utcnow(),
                  recorded_by=actor, reason=reason)
    audit.record("credit_adjusted", target=entry, actor=actor, detail=f"{person.name} {points:+d}：{reason}")
    return entry


def reverse(actor, entry_id, reason):
    """Cancel an entry with a reversing entry that points at it; the original stays as it was."""
    original = db.session.get(LedgerEntry, entry_id)
    if original is None:
        raise NotFound("积分记录不存在")
    if not actor.has_permission("credits.adjust", original.person.branch):
        raise PermissionDenied("只有党委可以冲销积分")
    if original.reverses_id is not None:
        raise ValidationError("冲销记录本身不能再冲销")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明冲销原因", field="reason")
    if db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == original.id)):
        raise ConflictError("该记录已经冲销过")
    entry = _book(original.person, original.rule, Source("reversal", original.id), -original.points,
                  utcnow(), recorded_by=actor, reason=reason, reverses=original)
    audit.record("credit_reversed", target=entry, actor=actor, detail=f"冲销第 {original.id} 条：{reason}")
    return entry
