"""Campaigns: their rules, who sees them, and the phases they move through.

A campaign belongs to the committee that runs it; its nominees and voters are the people on post
in that organisation's branches. The committee (`exemplars.manage`) sets it up in the draft. What
may change narrows phase by phase: the categories, who may nominate and vote, the credit period
and threshold are fixed when nomination opens; the score formula, its tie-break and when tallies
show are fixed when voting opens, so what the campaign page published before voting is what
decides; a date may move only while its phase has not begun. A phase moves on by the clock
(`exemplars.jobs`) or by the committee, always one step at a time through `advance()`, whose
guarded UPDATE lets exactly one caller make each step.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from portal.core import audit
from portal.core.clock import format_datetime, utcnow
from portal.core.exceptions import NotFound, PermissionDenied, ValidationError
from portal.core.periods import PeriodKind, parse_key, recent_periods
from portal.core.text import clean as clean_text
from portal.credits import services as credits
from portal.exemplars.models import (
    PHASE_LABELS,
    PHASES,
    Campaign,
    Category,
    NominationSource,
    Phase,
    TieBreak,
)
from portal.extensions import db
from portal.roster.models import Organisation, PoliticalStatus

# The six roles of the "1+6" model; a campaign starts with them and may edit them.
DEFAULT_CATEGORIES = [
    ("安全生产监督员", "发现和纠正不安全行为，带头落实安全生产责任"),
    ("改革创新攻坚员", "在技术革新、降本增效、管理创新中攻坚克难"),
    ("形势任务宣传员", "宣讲形势任务和党的政策，引导职工群众"),
    ("矛盾纠纷调解员", "化解班组和职工之间的矛盾纠纷，维护和谐稳定"),
    ("遵章守纪示范员", "严守规章制度和操作规程，做遵章守纪的表率"),
    ("急难险重突击员", "在急难险重任务面前冲锋在前、勇挑重担"),
]
MAX_CATEGORIES = 12
TITLE_MAX = 80
DESCRIPTION_MAX = 5000
VOTER_STATUSES = [s.value for s in PoliticalStatus]
# The phase each planned date begins; a date may change only while that phase is still to come.
DATE_BEGINS = {
    "nomination_opens_at": Phase.NOMINATION,
    "nomination_closes_at": Phase.QUALIFICATION,
    "voting_opens_at": Phase.VOTING,
    "voting_closes_at": Phase.PUBLICITY,
    "publicity_ends_at": Phase.FINAL,
}
DATE_LABELS = {
    "nomination_opens_at": "提名开始时间",
    "nomination_closes_at": "提名截止时间",
    "voting_opens_at": "投票开始时间",
    "voting_closes_at": "投票截止时间",
    "publicity_ends_at": "公示结束时间",
}


@dataclass
class CategorySpec:
    """One category row of the campaign form."""

    name: str
    description: str = ""
    quota: int = 1
    max_choices: int = 1
    members_only: bool = False


# --- who sees what -----------------------------------------------------------------------------

def manages(actor, campaign):
    """True if the actor runs this campaign (the committee over its organisation)."""
    return actor.has_permission("exemplars.manage", campaign.organisation)


def get_managed(actor, campaign_id):
    """A campaign the actor runs; NotFound otherwise."""
    campaign = _load(campaign_id)
    if campaign is None or not manages(actor, campaign):
        raise NotFound("评选活动不存在")
    return campaign


def _load(campaign_id):
    """A campaign with its organisation and categories, in one statement (every campaign page needs all three).

    A second look-up in the same request, of a campaign still held, is answered from the session.
    """
    return db.session.get(Campaign, campaign_id,
                          options=[joinedload(Campaign.organisation), joinedload(Campaign.categories)])


def get_for_paper(actor, campaign_id):
    """A campaign whose paper ballots the actor may enter; NotFound otherwise."""
    campaign = _load(campaign_id)
    if campaign is None or not actor.has_permission("exemplars.paper", campaign.organisation):
        raise NotFound("评选活动不存在")
    return campaign


def get_visible(actor, campaign_id):
    """A campaign the actor runs, or one past its draft that covers the actor's branch; NotFound otherwise."""
    campaign = _load(campaign_id)
    if campaign is None:
        raise NotFound("评选活动不存在")
    if manages(actor, campaign) or (campaign.phase != Phase.DRAFT and covers(campaign, actor_person(actor))):
        return campaign
    raise NotFound("评选活动不存在")


def actor_person(actor):
    """The actor's person on the roster, or None (an account without one)."""
    return actor.person if actor.person_id is not None else None


def covers(campaign, person):
    """True if the person belongs to a branch inside the campaign's organisation."""
    if person is None or person.branch is None:
        return False
    return person.branch.path.startswith(campaign.organisation.path)


def visible_campaigns(actor):
    """The campaigns the actor may open, newest first: run by them, or covering their branch and past the draft."""
    conditions = []
    managed = actor.scopes("exemplars.manage")
    if managed:
        conditions.append(or_(*[Organisation.path.startswith(org.path) for org in managed]))
    person = actor_person(actor)
    if person is not None and person.branch is not None:
        # Campaigns of an organisation above (or at) the person's branch: its path is a prefix of the branch's.
        prefixes = _path_prefixes(person.branch.path)
        conditions.append((Organisation.path.in_(prefixes)) & (Campaign.phase != Phase.DRAFT))
    if not conditions:
        return []
    return db.session.scalars(
        select(Campaign).join(Organisation, Organisation.id == Campaign.organisation_id)
        .where(or_(*conditions)).order_by(Campaign.year.desc(), Campaign.id.desc())
    ).all()


def _path_prefixes(path):
    """'/1/4/9/' -> ['/1/', '/1/4/', '/1/4/9/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def organisations_to_run(actor):
    """(id, name) of the organisations the actor may run a campaign for (committees and general branches)."""
    return [(org.id, org.name) for org in actor.scopes("exemplars.manage") if org.kind != "branch"]


# --- setting a campaign up ---------------------------------------------------------------------

def create(actor, *, organisation_id, **fields):
    """A new campaign in its draft, with its categories; audited."""
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or org.kind == "branch" or not actor.has_permission("exemplars.manage", org):
        raise ValidationError("请选择由您负责的党委或党总支", field="organisation_id")
    values, categories = _checked(fields, phase=Phase.DRAFT)
    campaign = Campaign(organisation_id=org.id, created_by_id=actor.id, phase=Phase.DRAFT, **values)
    campaign.categories = [Category(sort_order=n, **vars(spec)) for n, spec in enumerate(categories)]
    db.session.add(campaign)
    db.session.flush()
    audit.record("exemplar_campaign_created", target=campaign, actor=actor, detail=campaign.title)
    return campaign


def update_settings(actor, campaign_id, **fields):
    """Change what the campaign's phase still allows (see the module docstring); audited."""
    campaign = get_managed(actor, campaign_id)
    if campaign.phase == Phase.FINAL:
        raise ValidationError("评选已结束，不能再修改")
    values, categories = _checked(fields, phase=Phase(campaign.phase), campaign=campaign)
    for name, value in values.items():
        setattr(campaign, name, value)
    if categories is not None:
        _replace_categories(campaign, categories)
    db.session.flush()
    audit.record("exemplar_campaign_updated", target=campaign, actor=actor, detail=campaign.title)
    return campaign


def _replace_categories(campaign, specs):
    """Match the form's rows to the categories by name: keep, change, add, remove (draft only)."""
    existing = {c.name: c for c in campaign.categories}
    kept = []
    for n, spec in enumerate(specs):
        category = existing.pop(spec.name, None) or Category(name=spec.name)
        category.description, category.quota, category.max_choices = spec.description, spec.quota, spec.max_choices
        category.members_only, category.sort_order = spec.members_only, n
        kept.append(category)
    campaign.categories = kept


def editable(campaign):
    """What the settings form may still change: {"rules", "formula", and each date field name}."""
    phase = Phase(campaign.phase)
    allowed = set()
    if phase == Phase.DRAFT:
        allowed.add("rules")
    if not campaign.reached(Phase.VOTING):
        allowed.add("formula")
    allowed.update(name for name, begins in DATE_BEGINS.items() if not campaign.reached(begins))
    return allowed


def _checked(fields, phase, campaign=None):
    """(column values, category specs or None) from the form, keeping only what `phase` lets change."""
    allowed = editable(campaign) if campaign is not None else {"rules", "formula", *DATE_BEGINS}
    values = {}
    if campaign is None or "rules" in allowed:
        values.update(_checked_rules(fields))
        categories = _checked_categories(fields.get("categories") or [])
    else:
        categories = None
    if "formula" in allowed:
        values.update(_checked_formula(fields))
    dates = {name: (fields.get(name) if name in allowed else getattr(campaign, name)) for name in DATE_BEGINS}
    _check_dates(dates, campaign)
    values.update({name: dates[name] for name in DATE_BEGINS if name in allowed})
    return values, categories


def _checked_rules(fields):
    title = clean_text(fields.get("title") or "")
    if not title:
        raise ValidationError("请填写活动名称", field="title")
    if len(title) > TITLE_MAX:
        raise ValidationError(f"活动名称不能超过 {TITLE_MAX} 字", field="title")
    year = fields.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError("请填写评选年度，如 2026", field="year")
    description = fields.get("description") or ""
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(f"活动说明不能超过 {DESCRIPTION_MAX} 字", field="description")
    sources = [s for s in (fields.get("nominate_by") or []) if s in set(NominationSource)]
    if not sources:
        raise ValidationError("请至少选择一种提名方式", field="nominate_by")
    statuses = [s for s in (fields.get("voter_statuses") or []) if s in VOTER_STATUSES]
    if not statuses:
        raise ValidationError("请至少选择一类投票人", field="voter_statuses")
    min_credit = fields.get("min_credit") or 0
    if not isinstance(min_credit, int) or not 0 <= min_credit <= 100000:
        raise ValidationError("积分门槛应为 0 到 100000 之间的整数", field="min_credit")
    period = _checked_period(fields.get("credit_period"))
    return dict(title=title, year=year, description=description, nominate_by=",".join(sources),
                voter_statuses=",".join(statuses), multi_category=bool(fields.get("multi_category")),
                min_credit=min_credit, credit_period=period.key)


def _checked_period(key):
    """A credit period that has ended (it will be frozen by the time nominees are checked)."""
    try:
        period = parse_key(key or "")
    except (ValueError, OverflowError):
        raise ValidationError("请选择计算积分的考核周期", field="credit_period") from None
    if not credits.period_has_ended(period):
        raise ValidationError("计算积分的考核周期须已结束，请选择已结束的周期", field="credit_period")
    return period


def _checked_formula(fields):
    weight = fields.get("vote_weight")
    if not isinstance(weight, int) or not 0 <= weight <= 100:
        raise ValidationError("得票所占权重应为 0 到 100 之间的整数（其余为积分权重）", field="vote_weight")
    tie_break = fields.get("tie_break")
    if tie_break not in set(TieBreak):
        raise ValidationError("请选择同分时的排序规则", field="tie_break")
    return dict(vote_weight=weight, tie_break=tie_break, live_tally=bool(fields.get("live_tally")))


def _checked_categories(rows):
    specs, names = [], set()
    for n, row in enumerate(rows, start=1):
        name = clean_text(row.name or "")
        if not name:
            continue  # an empty row of the form
        if len(name) > 40:
            raise ValidationError(f"第 {n} 个类别的名称不能超过 40 字", field="categories")
        if name in names:
            raise ValidationError(f"类别“{name}”重复了", field="categories")
        if not isinstance(row.quota, int) or not 1 <= row.quota <= 100:
            raise ValidationError(f"“{name}”的当选名额应为 1 到 100 之间的整数", field="categories")
        if not isinstance(row.max_choices, int) or not 1 <= row.max_choices <= 100:
            raise ValidationError(f"“{name}”每票最多可选人数应为 1 到 100 之间的整数", field="categories")
        description = clean_text(row.description or "")[:200]
        names.add(name)
        specs.append(CategorySpec(name, description, row.quota, row.max_choices, bool(row.members_only)))
    if not specs:
        raise ValidationError("请至少设置一个评选类别", field="categories")
    if len(specs) > MAX_CATEGORIES:
        raise ValidationError(f"评选类别不能超过 {MAX_CATEGORIES} 个", field="categories")
    return specs


def _check_dates(dates, campaign):
    order = list(DATE_BEGINS)
    for name in order:
        if not isinstance(dates.get(name), datetime):
            raise ValidationError(f"请填写{DATE_LABELS[name]}", field=name)
    for earlier, later in zip(order, order[1:], strict=False):
        allowed_equal = earlier == "nomination_closes_at"  # qualification may be as short as the committee likes
        if dates[later] < dates[earlier] or (dates[later] == dates[earlier] and not allowed_equal):
            raise ValidationError(f"{DATE_LABELS[later]}应晚于{DATE_LABELS[earlier]}", field=later)
    if campaign is not None:
        now = utcnow()
        for name in order:
            changed = dates[name] != getattr(campaign, name)
            if changed and dates[name] < now:
                raise ValidationError(f"{DATE_LABELS[name]}不能改到已经过去的时间", field=name)


# --- phases ------------------------------------------------------------------------------------

def next_phase(campaign):
    """The phase after the campaign's current one, or None at the end."""
    index = PHASES.index(Phase(campaign.phase))
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def due_at(campaign):
    """When the current phase is planned to end (None once final)."""
    return {
        Phase.DRAFT: campaign.nomination_opens_at,
        Phase.NOMINATION: campaign.nomination_closes_at,
        Phase.QUALIFICATION: campaign.voting_opens_at,
        Phase.VOTING: campaign.voting_closes_at,
        Phase.PUBLICITY: campaign.publicity_ends_at,
    }.get(Phase(campaign.phase))


def move(campaign, from_phase, to_phase):
    """The one guarded step from one phase to the next: True for the caller that made it."""
    moved = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.phase == from_phase)
        .values(phase=to_phase, updated_at=utcnow()).returning(Campaign.id)
        .execution_options(synchronize_session=False)).first()
    db.session.refresh(campaign)
    return moved is not None


def require_phase(campaign, phase, doing):
    """ValidationError unless the campaign is in `phase`: what phase it is, and that `doing` waits for `phase`."""
    if campaign.phase != phase:
        raise ValidationError(f"{doing}只能在{PHASE_LABELS[Phase(phase)]}阶段进行，"
                              f"本活动目前处于{campaign.phase_label}阶段")


def timeline(campaign):
    """Each phase with its planned start and whether it is done, current or to come (for the campaign page)."""
    starts = {Phase.DRAFT: None, Phase.NOMINATION: campaign.nomination_opens_at,
              Phase.QUALIFICATION: campaign.nomination_closes_at, Phase.VOTING: campaign.voting_opens_at,
              Phase.PUBLICITY: campaign.voting_closes_at, Phase.FINAL: campaign.publicity_ends_at}
    current = PHASES.index(Phase(campaign.phase))
    steps = []
    for index, phase in enumerate(PHASES):
        state = "done" if index < current else "current" if index == current else "next"
        steps.append({"phase": phase, "label": PHASE_LABELS[phase], "starts": starts[phase], "state": state})
    return steps


def plan_text(campaign):
    """One line for the page: where the campaign stands and what comes next."""
    following = next_phase(campaign)
    if following is None:
        return "评选已结束，结果已公布"
    due = due_at(campaign)
    return f"目前处于{campaign.phase_label}阶段，计划于 {format_datetime(due)} 进入{PHASE_LABELS[following]}阶段"


def require_manager(actor, campaign):
    """PermissionDenied unless the actor runs the campaign."""
    if not manages(actor, campaign):
        raise PermissionDenied("只有党委可以管理评选活动")


def credit_period_choices():
    """(key, label) of the ended periods a campaign may take its credit figures from: years, quarters, months."""
    choices = []
    for kind, count in ((PeriodKind.YEAR, 3), (PeriodKind.QUARTER, 5), (PeriodKind.MONTH, 7)):
        for period in recent_periods(kind, count):
            if credits.period_has_ended(period):
                choices.append((period.key, period.label))
    return choices
