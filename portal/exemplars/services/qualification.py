"""Qualification: automatic checks, each shown with its reason, then the committee's decision.

The checks: the nominee is on post; a Party member where the category asks for one; at least
the campaign's credit threshold in its credit period, read from what closing that period froze
(so the figure cannot move afterwards); no open flag from the committee. They run when the
nomination is made and again at each decision, and a nomination that fails one cannot be
approved. The committee's decision (with a reason when it rejects) may change until voting
opens; the nominee and the nominator are told each outcome in their inbox.
"""

from dataclasses import dataclass

from sqlalchemy import func, select, update

from portal.core import audit
from portal.core.clock import utcnow
from portal.core.exceptions import ConflictError, NotFound, ValidationError
from portal.core.periods import parse_key
from portal.core.text import clean as clean_text
from portal.core.text import quoted
from portal.credits import services as credits
from portal.exemplars.models import CandidateFlag, Nomination, NominationStatus, Phase
from portal.exemplars.services import campaigns
from portal.extensions import db
from portal.inbox.services import notify
from portal.roster import services as roster
from portal.roster.models import PARTY_STATUSES, Person, PersonStatus

NOTE_MAX = 500


@dataclass(frozen=True)
class Check:
    """One automatic check: passed or not, its name, and the reason shown beside it."""

    passed: bool
    name: str
    reason: str


def checks_for(nomination):
    """The automatic checks of a nomination as they stand now."""
    return _checks_and_points(nomination)[0]


def _checks_and_points(nomination):
    """(the checks, the nominee's points in the credit period or None while it is open)."""
    person, campaign, category = nomination.person, nomination.campaign, nomination.category
    found = [Check(person.status == PersonStatus.ON_POST, "在岗情况", f"花名册状态：{person.status}")]
    if category.members_only:
        found.append(Check(person.political_status in PARTY_STATUSES, "政治面貌",
                           f"本类别限党员；花名册记载为{person.political_status}"))
    period = parse_key(campaign.credit_period)
    points = credits.frozen_points(period, [person.id])
    if points is None:
        found.append(Check(False, "学习积分", f"{period.label}尚未结算，暂时无法核对积分"))
    else:
        have = points[person.id]
        found.append(Check(have >= campaign.min_credit, "学习积分",
                           f"{period.label}积分 {have} 分，门槛 {campaign.min_credit} 分"))
    flags = open_flags_of(person.id)
    found.append(Check(not flags, "党委标记",
                       "无未解除的标记" if not flags else "；".join(f.reason for f in flags)))
    return found, points[person.id] if points is not None else None


def run_checks(nomination):
    """Run the checks and keep their outcome (and the credit points) on the nomination; returns them."""
    found, points = _checks_and_points(nomination)
    nomination.checks = "\n".join(f"{int(c.passed)}|{c.name}|{c.reason}" for c in found)
    nomination.credit_points = points
    return found


def stored_checks(nomination):
    """The checks as last kept on the nomination."""
    found = []
    for line in (nomination.checks or "").splitlines():
        passed, name, reason = line.split("|", 2)
        found.append(Check(passed == "1", name, reason))
    return found


def decide(actor, nomination_id, approve, note=""):
    """Approve or reject a nomination (a reason is needed to reject); the outcome goes to both inboxes. Audited."""
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None or not campaigns.manages(actor, nomination.campaign):
        raise NotFound("提名不存在")
    campaign = nomination.campaign
    if campaign.phase not in (Phase.NOMINATION, Phase.QUALIFICATION):
        raise ValidationError(f"资格审查只能在提名或资格审查阶段进行，本活动目前处于{campaign.phase_label}阶段")
    note = clean_text(note or "")
    if len(note) > NOTE_MAX:
        raise ValidationError(f"审核意见不能超过 {NOTE_MAX} 字", field="note")
    if not approve and not note:
        raise ValidationError("不予通过时请写明原因", field="note")
    failed = [c for c in run_checks(nomination) if not c.passed]
    if approve and failed:
        raise ValidationError("自动核查未通过（" + "；".join(f"{c.name}：{c.reason}" for c in failed)
                              + "），不能通过资格审查")
    status = NominationStatus.QUALIFIED if approve else NominationStatus.REJECTED
    decidable = (NominationStatus.PENDING, NominationStatus.QUALIFIED, NominationStatus.REJECTED)
    won = db.session.execute(
        update(Nomination).where(Nomination.id == nomination.id, Nomination.status.in_(decidable))
        .values(status=status, decision_note=note, decided_by_id=actor.id, decided_at=utcnow())
        .returning(Nomination.id).execution_options(synchronize_session=False)).first()
    db.session.refresh(nomination)
    if won is None:
        raise ConflictError("该提名已撤回或已被取消资格，不能再审核")
    audit.record("exemplar_nomination_decided", target=nomination, actor=actor,
                 detail=f"{nomination.person.name}：{nomination.status_label}{'：' + note if note else ''}")
    _tell_outcome(nomination)
    return nomination


def _tell_outcome(nomination):
    title = f"{quoted(nomination.campaign.title)}资格审查结果：{nomination.status_label}"
    body = f"{nomination.person.name} · {nomination.category.name}"
    if nomination.decision_note:
        body += f"。审核意见：{nomination.decision_note}"
    key = f"exemplar-decided-{nomination.id}-{nomination.status}-{nomination.decided_at.timestamp():.0f}"
    url = f"/exemplars/nominations/{nomination.id}"
    notify(nomination.person_id, key, title, body, url=url)
    nominator = nomination.nominated_by.person_id
    if nominator is not None and nominator != nomination.person_id:
        notify(nominator, key, title, body, url=url)


def pending_count(campaign_id):
    """How many nominations of a campaign still wait for the committee."""
    return db.session.scalar(select(func.count()).select_from(Nomination).where(
        Nomination.campaign_id == campaign_id, Nomination.status == NominationStatus.PENDING))


# --- the committee's flags ---------------------------------------------------------------------------

def open_flags_of(person_id):
    """The person's flags that are still open."""
    return db.session.scalars(select(CandidateFlag).where(
        CandidateFlag.person_id == person_id, CandidateFlag.closed_at.is_(None)).order_by(CandidateFlag.id)).all()


def flags_in_scope(actor):
    """Open flags on people the actor's committee looks after, newest first."""
    branch_ids = [b.id for b in roster.branch_rows(actor.scopes("exemplars.manage"))]
    if not branch_ids:
        return []
    return db.session.scalars(select(CandidateFlag).join(Person, Person.id == CandidateFlag.person_id).where(
        Person.branch_id.in_(branch_ids), CandidateFlag.closed_at.is_(None)).order_by(CandidateFlag.id.desc())).all()


def flag_candidates(actor, q):
    """People the actor may flag whose name matches `q`."""
    branch_ids = [b.id for b in roster.branch_rows(actor.scopes("exemplars.manage"))]
    return roster.find_on_post(branch_ids, q, limit=20)


def open_flag(actor, person_id, reason):
    """Mark a person as not to stand for now, with the reason; audited."""
    person = db.session.get(Person, person_id) if person_id else None
    if person is None or person.branch is None or not actor.has_permission("exemplars.manage", person.branch):
        raise ValidationError("请从搜索结果中选择人员", field="person_id")
    reason = clean_text(reason or "")
    if not reason:
        raise ValidationError("请写明标记原因", field="reason")
    if len(reason) > NOTE_MAX:
        raise ValidationError(f"标记原因不能超过 {NOTE_MAX} 字", field="reason")
    flag = CandidateFlag(person_id=person.id, reason=reason, opened_by_id=actor.id)
    db.session.add(flag)
    db.session.flush()
    audit.record("exemplar_flag_opened", target=flag, actor=actor, detail=f"{person.name}：{reason}")
    return flag


def close_flag(actor, flag_id, note=""):
    """Lift a flag, with a note; audited."""
    flag = db.session.get(CandidateFlag, flag_id)
    if flag is None or flag.person.branch is None or not actor.has_permission("exemplars.manage", flag.person.branch):
        raise NotFound("标记不存在")
    note = clean_text(note or "")[:NOTE_MAX]
    closed = db.session.execute(
        update(CandidateFlag).where(CandidateFlag.id == flag.id, CandidateFlag.closed_at.is_(None))
        .values(closed_at=utcnow(), closed_by_id=actor.id, close_note=note)
        .returning(CandidateFlag.id).execution_options(synchronize_session=False)).first()
    db.session.refresh(flag)
    if closed is None:
        raise ConflictError("该标记已解除")
    audit.record("exemplar_flag_closed", target=flag, actor=actor, detail=f"{flag.person.name}：{note}")
    return flag
