"""Credit rules and the one way points enter the ledger: award(), adjust(), reverse()."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.clock import LOCAL_TZ, format_date, localnow, utcnow
from portal.core.database import dialect_insert, upsert_add
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.periods import PeriodKind, current_period, parse_key, period_containing
from portal.core.text import clean as clean_text
from portal.credits import caps, standings
from portal.credits.models import (
    ClosedPeriod,
    CreditAdjustment,
    CreditRule,
    CreditTotal,
    LedgerEntry,
    RuleMode,
)
from portal.credits.period_states import first_ledger_day
from portal.credits.rules import DEFAULT_RULES, MANUAL
from portal.extensions import db
from portal.roster import services as roster


@dataclass(frozen=True)
class Source:
    """What earned the points: a type name and the id of that object in its module."""

    type: str
    id: int


# --- rules ----------------------------------------------------------------------------------------

def rule_for(code, day):
    """The version of rule `code` valid on local date `day` (creating the registered default on first use)."""
    rule = _valid_version(code, day)
    if rule is None and code in DEFAULT_RULES:
        if not db.session.scalar(select(CreditRule.id).where(CreditRule.code == code)):
            _create_default(code)
        rule = _valid_version(code, day)
    if rule is None:
        name = DEFAULT_RULES.get(code, {}).get("name", "")
        raise ValidationError(f"积分规则“{name}”在 {format_date(day)} 不适用或已停用" if name
                              else "积分规则不存在或已停用")
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


def _current_version(code):
    return db.session.scalar(
        select(CreditRule).where(CreditRule.code == code, CreditRule.is_current.is_(True))
    )


def rule_table():
    """The current version of every rule, with defaults never used yet shown as their version 1.

    The defaults are unsaved objects, so listing the rules writes nothing.
    """
    rules = {rule.code: rule for rule in current_rules()}
    for code in DEFAULT_RULES:
        if code not in rules and not db.session.scalar(select(CreditRule.id).where(CreditRule.code == code)):
            rules[code] = _unsaved_default(code)
    order = list(DEFAULT_RULES)
    return sorted(rules.values(), key=lambda r: (order.index(r.code) if r.code in order else len(order), r.code))


def editable_rule(code):
    """The rule the edit form starts from; NotFound for an unknown code, ValidationError for the manual rule."""
    rule = next((r for r in rule_table() if r.code == code), None)
    if rule is None:
        raise NotFound("积分规则不存在")
    if rule.manual_only:
        raise ValidationError("手动加减分规则的分值由每次调整决定，不能修改")
    return rule


def rule_versions(code):
    """rule_history(), or the unsaved version 1 of a default never used; NotFound for an unknown code."""
    versions = rule_history(code) or [r for r in rule_table() if r.code == code]
    if not versions:
        raise NotFound("积分规则不存在")
    return versions


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
    current = _current_version(code)
    if current is None and code not in DEFAULT_RULES:
        raise NotFound("积分规则不存在")
    if mode not in (RuleMode.FIXED, RuleMode.SCORE):
        raise ValidationError("计分方式无效", field="mode")
    if current.manual_only if current is not None else DEFAULT_RULES[code].get("manual_only", False):
        raise ValidationError("手动加减分规则的分值由每次调整决定，不能修改")
    if not 0 < points <= 1000:
        raise ValidationError("分值应在 1 到 1000 之间", field="points")
    for field, cap in (("daily_cap", daily_cap), ("weekly_cap", weekly_cap), ("monthly_cap", monthly_cap)):
        if cap is not None and cap < 1:
            raise ValidationError("上限应为正整数，不设上限请留空", field=field)
    if current is None:
        # A default rule edited before anything used it: write its version 1 first. Only after
        # validating, so refused input writes nothing (see _create_default's savepoint).
        _create_default(code)
        current = _current_version(code)
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

@dataclass(frozen=True)
class Award:
    """What award() did: the entry that stands for the source (None: nothing booked) and why.

    Pages tell the member `message`, which comes from what the ledger holds, never from the rule.
    """

    entry: LedgerEntry | None
    new: bool = False  # booked by this call (False: nothing, or booked before)
    note: str = ""  # why nothing, or fewer points than the rule gives, was booked

    @property
    def points(self):
        """The points the ledger holds for this source (0 when none)."""
        return self.entry.points if self.entry is not None else 0

    @property
    def message(self):
        """"+1 分", "已计 +1 分", or why no points were given, in Chinese."""
        if self.entry is None:
            return self.note
        said = f"+{self.entry.points} 分" if self.new else f"已计 {self.entry.points:+d} 分"
        return f"{said}（{self.note}）" if self.note else said


def award(person, rule_code, source, when=None, score=None, recorded_by=None):
    """Credit `person` once for `source` under rule `rule_code`; returns an Award.

    Idempotent: the same (rule, source, person) gives back the entry already written. No entry
    when the rule does not apply to the person or a cap leaves nothing to award, with the reason
    in the Award's note; the entry's points are what was booked (a cap may have cut them).
    """
    when = when or utcnow()
    rule = rule_for(rule_code, when.astimezone(LOCAL_TZ).date())
    if rule.manual_only:
        raise ValidationError("手动加减分请使用“积分调整”")
    if rule.statuses and person.political_status not in rule.statuses:
        entry = entry_for(rule_code, source, person.id)  # credited before the rule changed, or nothing
        status = getattr(person.political_status, "value", person.political_status)
        return Award(entry, note="" if entry is not None else f"按积分规则，{status}不计“{rule.name}”积分")
    points = full = _points(rule, score)
    note = f"按成绩折算为 0 分，本次不计“{rule.name}”积分" if points <= 0 else ""
    if points > 0 and caps.has_caps(rule):
        caps.lock(person.id, rule.code)
        points, window, cap = caps.within(rule, person.id, when, points)
        if points <= 0:
            note = f"{window}“{rule.name}”积分已达上限（{cap} 分），本次不再计分"
        elif points < full:
            note = f"{window}“{rule.name}”积分上限为 {cap} 分"
    if points <= 0:
        # Nothing to add (a score of 0, or the cap is used up, perhaps by this very source, credited
        # before): an entry already booked for it stands.
        entry = entry_for(rule_code, source, person.id)
        return Award(entry, note="" if entry is not None else note)
    entry, new = _book(person, rule, source, points, when, recorded_by=recorded_by)
    return Award(entry, new=new, note=note if new else "")  # booked before: what it booked then stands


def entry_for(rule_code, source, person_id):
    """The entry booked for `source` to a person under a rule, or None (what award() would return again)."""
    return db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.rule_code == rule_code, LedgerEntry.source_type == source.type,
        LedgerEntry.source_id == source.id, LedgerEntry.person_id == person_id))


@dataclass(frozen=True)
class Prospect:
    """What award() would book now, read without writing: for pages that say what a task will earn.

    `points` is what the next award would book (0: nothing, `note` says why); `room` is what the
    rule's caps still leave the person (None: no cap), so a page can say "今日还可得 1 分".
    """

    points: int
    note: str = ""
    room: int | None = None

    @property
    def message(self):
        """"+1 分" or why the next award would give nothing, in Chinese."""
        return f"+{self.points} 分" if self.points > 0 else self.note


def prospect(person, rule_code, when=None, score=None):
    """What award(person, rule_code, …) would book at `when` (now), without writing anything.

    The same rule version, status check and caps as award(); the award itself may still book less
    when another one lands first.
    """
    when = when or utcnow()
    rule = _rule_in_force(rule_code, when.astimezone(LOCAL_TZ).date())
    if rule is None:
        return Prospect(0, "该积分规则已停用")
    if rule.statuses and person.political_status not in rule.statuses:
        status = getattr(person.political_status, "value", person.political_status)
        return Prospect(0, f"按积分规则，{status}不计“{rule.name}”积分")
    points = _points(rule, score)
    room, window, cap = caps.room(rule, person.id, when)
    if room is None or points <= 0:
        return Prospect(max(points, 0), "" if points > 0 else f"按成绩折算为 0 分，不计“{rule.name}”积分")
    room = max(room, 0)
    if room <= 0:
        return Prospect(0, f"{window}“{rule.name}”积分已达上限（{cap} 分）", room)
    return Prospect(min(points, room), "", room)


def _rule_in_force(code, day):
    """rule_for() without its write: a default rule never used yet is its unsaved version 1."""
    rule = _valid_version(code, day)
    if rule is None and code in DEFAULT_RULES and not db.session.scalar(
            select(CreditRule.id).where(CreditRule.code == code).limit(1)):
        rule = _unsaved_default(code)
    return rule


def _unsaved_default(code):
    """Version 1 of a registered default rule as an object that is never added to the session."""
    values = {"mode": RuleMode.FIXED, "manual_only": False, "description": "", **DEFAULT_RULES[code]}
    return CreditRule(code=code, version=1, valid_from=date(2000, 1, 1), is_current=True, **values)


def _points(rule, score):
    if rule.mode == RuleMode.FIXED:
        return rule.points
    if score is None or not 0 <= score <= 100:
        raise ValidationError("按成绩计分的规则需要 0 到 100 之间的成绩")
    return round(rule.points * score / 100)


def booking_date(when):
    """The local date an event counts towards, and a note if its period was already closed."""
    day = when.astimezone(LOCAL_TZ).date()
    last_closed = db.session.scalar(select(func.max(ClosedPeriod.period_end)))
    if last_closed is None or day > last_closed:
        return day, None
    original = period_containing(PeriodKind.DEKAD, day).label
    return last_closed + timedelta(days=1), f"补记：原属{original}，该周期已结算，计入下一周期"


def _book(person, rule, source, points, when, recorded_by=None, reason=None, reverses=None):
    """Insert the entry for `source` once; returns (the entry that stands, whether this call booked it)."""
    booked_on, late_note = booking_date(when)
    # One statement, no savepoint: a clash on the source key (or on reverses_id) inserts nothing.
    entry = db.session.scalar(
        dialect_insert()(LedgerEntry).values(
            person_id=person.id, branch_id=person.branch_id, points=points, rule_id=rule.id,
            rule_code=rule.code, source_type=source.type, source_id=source.id, earned_at=when,
            booked_on=booked_on, late_note=late_note, recorded_by_id=recorded_by.id if recorded_by else None,
            reason=reason, reverses_id=reverses.id if reverses else None,
        ).on_conflict_do_nothing().returning(LedgerEntry))
    if entry is None:
        # Awarded before, or concurrently by another request or worker: the database kept exactly one.
        existing = entry_for(rule.code, source, person.id)
        if existing is None:
            raise ConflictError("该记录已被冲销过")
        return existing, False
    _add_to_totals(entry)
    return entry, True


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
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationError("请写明调整原因", field="reason")
    if points == 0 or abs(points) > 100:
        raise ValidationError("调整分值应在 -100 到 100 之间且不为 0", field="points")
    adjustment = CreditAdjustment(person_id=person.id, points=points, reason=reason, created_by_id=actor.id)
    db.session.add(adjustment)
    db.session.flush()
    rule = rule_for(MANUAL, localnow().date())
    entry, _new = _book(person, rule, Source("adjustment", adjustment.id), points, utcnow(),
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
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationError("请写明冲销原因", field="reason")
    if db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == original.id)):
        raise ConflictError("该记录已经冲销过")
    entry, _new = _book(original.person, original.rule, Source("reversal", original.id), -original.points,
                        utcnow(), recorded_by=actor, reason=reason, reverses=original)
    audit.record("credit_reversed", target=entry, actor=actor, detail=(
        f"冲销 {original.person.name} 的“{original.rule.name}”（{format_date(original.booked_on)} "
        f"{original.points:+d} 分）：{reason}"))
    return entry


def adjust_person(actor, person_id, points, reason):
    """adjust() for the person picked on the form; an unknown or out-of-scope person is a field error."""
    try:
        person = roster.get_person_for(actor, person_id, permission="credits.adjust")
    except NotFound:
        raise ValidationError("人员不存在或不在您的管理范围内，请重新查找并选择", field="person_id") from None
    return adjust(actor, person, points, reason)


def adjustable_person(actor, person_id):
    """The person an adjustment form names, if the actor may adjust them; None otherwise."""
    if not person_id:
        return None
    try:
        return roster.get_person_for(actor, person_id, permission="credits.adjust")
    except NotFound:
        return None


ADJUST_MATCHES = 20


@dataclass(frozen=True)
class AdjustTarget:
    """Who an adjustment is for: the person picked, else the people matching the search (None: no search)."""

    person: object
    query: str
    matches: object  # a roster search page of PersonRow, or None


def adjust_target(actor, person_id=None, query=""):
    """The adjustment page's person: the one picked, or those found by name, pinyin or initials.

    The search covers the branches where the actor may adjust credits (roster.search_people),
    so a pick can only offer people the adjustment will accept.
    """
    person = adjustable_person(actor, person_id)
    query = clean_text(query or "")[:40]
    matches = None
    if person is None and query:
        matches = roster.search_people(actor, query, per_page=ADJUST_MATCHES, permission="credits.adjust")
    return AdjustTarget(person, query, matches)


# --- what the pages need --------------------------------------------------------------------------

# How a ledger entry's source is named on the pages: the credits module's own; the modules that
# award points add theirs (register_source), with a function saying what each source was about.
SOURCE_LABELS = {
    "adjustment": "手动调整",
    "reversal": "冲销",
}
_DESCRIBERS = {}
ABOUT_MAX_CHARS = 40


def register_source(source_type, label, describe=None):
    """Name a module's ledger source type as the pages show it (每日一学, 组织生活, ...).

    `describe(ids)`, if given, returns {source id: what that source was about, in words}: an
    article's title, a question, a test's name, a session's topic. Ids it cannot name are left out.
    """
    SOURCE_LABELS[source_type] = label
    if describe is not None:
        _DESCRIBERS[source_type] = describe
    else:
        _DESCRIBERS.pop(source_type, None)


def source_label(entry):
    """The kind of source an entry came from, as people read it: 每日一学, 组织生活, 冲销."""
    return SOURCE_LABELS.get(entry.source_type, "其他")


def source_texts(entries):
    """{entry id: what earned it, in words}: 每日一学：矿山安全生产责任制, 冲销：每日一题（2026年1月3日 +1 分）.

    One query per kind of source on the page. Never an internal id: a source its module cannot
    describe (gone, or made up by the demo) is named by its kind alone; the page shows its date.
    """
    wanted = {}
    for entry in entries:
        wanted.setdefault(entry.source_type, set()).add(entry.source_id)
    about = {source_type: _DESCRIBERS[source_type](sorted(ids)) for source_type, ids in wanted.items()
             if source_type in _DESCRIBERS}
    texts = {}
    for entry in entries:
        detail = about.get(entry.source_type, {}).get(entry.source_id)
        detail = " ".join(str(detail).split()) if detail else ""
        if len(detail) > ABOUT_MAX_CHARS:
            detail = detail[:ABOUT_MAX_CHARS - 1] + "…"
        texts[entry.id] = f"{source_label(entry)}：{detail}" if detail else source_label(entry)
    return texts


def _describe_reversed(entry_ids):
    """What a reversal cancelled: the original entry's rule, date and points."""
    rows = db.session.execute(
        select(LedgerEntry.id, CreditRule.name, LedgerEntry.booked_on, LedgerEntry.points)
        .join(CreditRule, CreditRule.id == LedgerEntry.rule_id).where(LedgerEntry.id.in_(entry_ids)))
    return {entry_id: f"{name}（{format_date(day)} {points:+d} 分）" for entry_id, name, day, points in rows}


register_source("reversal", SOURCE_LABELS["reversal"], _describe_reversed)


def period_from_key(key, kind=None):
    """The period a URL names, or the current one of `kind` (default: month); NotFound if it is not one.

    A period that has not started yet, or one that ended before the ledger's first entry, is
    refused too (the pickers never offer them), so a hand-edited link gets a clear message instead
    of an empty page claiming a state the period never had.
    """
    if not key:
        try:
            return current_period(PeriodKind(kind or PeriodKind.MONTH))
        except ValueError:
            raise NotFound("考核周期类型无效，请选择旬、月、季度或年度") from None
    try:
        period = parse_key(key)
    except (ValueError, OverflowError):
        raise NotFound("考核周期无效，请从列表中选择") from None
    if period.start > localnow().date():
        raise NotFound("该考核周期尚未开始")
    first = first_ledger_day()
    if period.end < (first if first is not None else localnow().date()):
        raise NotFound("该考核周期没有积分数据")
    return period


@dataclass(frozen=True)
class RankingScope:
    """Which branches a viewer's rankings cover: the one place that decides who sees which branch.

    `branch_ids` is None for the whole committee (every person, every branch's row), else the
    branches under the viewer's grants. A branch's row is shown only to viewers of that branch:
    in a small branch an average or a participation rate is, in effect, one or two people's
    points, so other branches' rows would leak personal data; its rank is still among all.
    """

    branch_ids: tuple | None

    @classmethod
    def of(cls, actor, permission="credits.rankings"):
        """The scope of `actor`'s grants holding `permission`."""
        scopes = actor.scopes(permission)
        if any(org.parent_id is None for org in scopes):
            return cls(None)
        return cls(tuple(sorted(branch.id for branch in roster.branch_rows(scopes))))

    @property
    def whole_committee(self):
        """True when the viewer sees every branch."""
        return self.branch_ids is None

    def people_of(self, branch_id=None):
        """The branch filter of a person ranking: the chosen branch (if the viewer may see it) or the scope."""
        if branch_id is None:
            return self.branch_ids
        if self.branch_ids is not None and branch_id not in self.branch_ids:
            raise NotFound("该党支部不在您的查看范围内")
        return [branch_id]


# --- what other modules ask of the ledger ---------------------------------------------------------

def period_has_ended(period):
    """True once the period's last local day is over (the nightly job then freezes it)."""
    return period.end < localnow().date()


def frozen_points(period, person_ids):
    """{person_id: points} in a closed (frozen) period, 0 for people without any; None while it is open."""
    if standings.closed_period(period) is None:
        return None
    rows = standings.person_ranking(period, person_ids=list(person_ids), previous=False)
    points = {row.person_id: row.points for row in rows}
    return {person_id: points.get(person_id, 0) for person_id in person_ids}
