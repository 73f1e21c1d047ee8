"""Publicity (公示), objections, moving phases on, and finalising with honours and credit.

During publicity anyone the campaign covers may object to a winner, once per winner, with a
reason. The committee upholds an objection (the nominee is disqualified; the next in order takes
the place: services.results) or dismisses it, saying why; both sides are told. The campaign is
finalised when publicity ends, by the clock or by the committee, and only with no objection
open: each winner gets an `Honour` row (one per nomination, a unique key) and the exemplar
credit through `credits.award` (one per honour, the ledger's own unique key), so finalising
twice, or from two processes, books everything once.
"""

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.core import audit
from portal.core.clock import utcnow
from portal.core.database import insert_ignore
from portal.core.exceptions import ConflictError, NotFound, ValidationError
from portal.core.text import clean as clean_text
from portal.core.text import clean_multiline, quoted
from portal.credits import services as credits
from portal.exemplars.models import (
    PHASE_LABELS,
    Campaign,
    Honour,
    Nomination,
    NominationStatus,
    Objection,
    ObjectionStatus,
    Phase,
)
from portal.exemplars.services import campaigns, qualification, results, voting
from portal.exemplars.services.credit_rules import HONOUR_SOURCE, TITLE_RULE
from portal.extensions import db
from portal.inbox.services import notify, notify_many

REASON_MIN = 10
REASON_MAX = 2000
NOTE_MAX = 500


# --- objections -------------------------------------------------------------------------------------

def object_to(actor, campaign_id, nomination_id, reason):
    """An objection to a winner during publicity, by someone the campaign covers; the committee is told."""
    campaign = campaigns.get_visible(actor, campaign_id)
    nomination = db.session.get(Nomination, nomination_id) if nomination_id else None
    if nomination is None or nomination.campaign_id != campaign.id:
        raise ValidationError("请选择拟当选人员", field="nomination_id")
    campaigns.require_phase(campaign, Phase.PUBLICITY, "提出异议")
    person = campaigns.actor_person(actor)
    if person is None or not campaigns.covers(campaign, person):
        raise ValidationError("只有本次评选范围内的人员可以提出异议")
    if nomination.id not in {row.nomination_id for _category, row in results.winners(campaign)}:
        raise ValidationError("只能对公示中的拟当选人员提出异议")
    reason = clean_multiline(reason or "").strip()
    if len("".join(reason.split())) < REASON_MIN:
        raise ValidationError(f"请具体写明异议的事实和理由（至少 {REASON_MIN} 字）", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"异议内容不能超过 {REASON_MAX} 字", field="reason")
    objection = Objection(campaign_id=campaign.id, nomination_id=nomination.id, person_id=person.id, reason=reason)
    try:
        with db.session.begin_nested():
            db.session.add(objection)
    except IntegrityError:
        raise ConflictError("您已对该人员提出过异议，党委核实后会通知您") from None
    audit.record("exemplar_objection_raised", target=objection, actor=actor, detail=nomination.person.name)
    return objection


def may_object(actor, campaign):
    """True during publicity for someone the campaign covers."""
    return campaign.phase == Phase.PUBLICITY and campaigns.covers(campaign, campaigns.actor_person(actor))


def objections(campaign_id):
    """A campaign's objections, open ones first."""
    return db.session.scalars(select(Objection).where(Objection.campaign_id == campaign_id).order_by(
        Objection.status != ObjectionStatus.OPEN, Objection.id)).all()


def open_objection_count(campaign_id):
    """How many objections of a campaign wait for the committee."""
    return db.session.scalar(select(func.count()).select_from(Objection).where(
        Objection.campaign_id == campaign_id, Objection.status == ObjectionStatus.OPEN))


def get_managed_objection(actor, objection_id):
    """An objection in a campaign the actor runs; NotFound otherwise."""
    objection = db.session.get(Objection, objection_id)
    if objection is None or not campaigns.manages(actor, objection.nomination.campaign):
        raise NotFound("异议不存在")
    return objection


def decide_objection(actor, objection_id, uphold, note):
    """Uphold (the nominee is disqualified) or dismiss an objection, with the reason; both sides told. Audited."""
    objection = get_managed_objection(actor, objection_id)
    campaigns.require_phase(objection.nomination.campaign, Phase.PUBLICITY, "核实异议")
    note = clean_text(note or "")
    if not note:
        raise ValidationError("请写明核实结论", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationError(f"核实结论不能超过 {NOTE_MAX} 字", field="note")
    status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    decided = db.session.execute(
        update(Objection).where(Objection.id == objection.id, Objection.status == ObjectionStatus.OPEN)
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), decision_note=note)
        .returning(Objection.id).execution_options(synchronize_session=False)).first()
    db.session.refresh(objection)
    if decided is None:
        raise ConflictError("该异议已核实过")
    nomination = objection.nomination
    if uphold:
        db.session.execute(update(Nomination).where(
            Nomination.id == nomination.id, Nomination.status == NominationStatus.QUALIFIED)
            .values(status=NominationStatus.DISQUALIFIED, decision_note=note, decided_by_id=actor.id,
                    decided_at=utcnow()).execution_options(synchronize_session=False))
        db.session.refresh(nomination)
    audit.record("exemplar_objection_decided", target=objection, actor=actor,
                 detail=f"{nomination.person.name}：{objection.status_label}：{note}")
    title = f"{quoted(nomination.campaign.title)}异议核实结果：{objection.status_label}"
    url = f"/exemplars/{nomination.campaign_id}/results"
    notify(objection.person_id, f"exemplar-objection-{objection.id}", title, note, url=url)
    if uphold:
        notify(nomination.person_id, f"exemplar-disqualified-{nomination.id}", title, note, url=url)
    return objection


# --- moving on -------------------------------------------------------------------------------------

def blocker(campaign):
    """Why the campaign cannot move to its next phase now (a message), or None."""
    following = campaigns.next_phase(campaign)
    if following is None:
        return "评选已结束"
    if following == Phase.NOMINATION and not campaign.categories:
        return "尚未设置评选类别"
    if following == Phase.VOTING:
        pending = qualification.pending_count(campaign.id)
        if pending:
            return f"还有 {pending} 条提名未完成资格审查"
        if not db.session.scalar(select(func.count()).select_from(Nomination).where(
                Nomination.campaign_id == campaign.id, Nomination.status == NominationStatus.QUALIFIED)):
            return "还没有通过资格审查的候选人"
    if following == Phase.FINAL:
        waiting = open_objection_count(campaign.id)
        if waiting:
            return f"还有 {waiting} 条异议未核实"
    return None


def advance(actor, campaign_id, from_phase):
    """The committee moves a campaign on from `from_phase` (the phase its page showed), ahead of the plan."""
    campaign = campaigns.get_managed(actor, campaign_id)
    if campaign.phase != from_phase:
        raise ConflictError(f"本活动已处于{campaign.phase_label}阶段，请刷新页面")
    reason = blocker(campaign)
    if reason:
        raise ValidationError(f"暂不能进入{PHASE_LABELS[campaigns.next_phase(campaign)]}阶段：{reason}")
    if not _step(campaign, actor):
        raise ConflictError("本活动的阶段刚刚已被推进，请刷新页面")
    return campaign


def advance_due(campaign):
    """The clock's step: move the campaign on while its planned time has come and nothing blocks it; phases moved."""
    moved = []
    while True:
        due = campaigns.due_at(campaign)
        if due is None or due > utcnow() or blocker(campaign) is not None:
            return moved
        before = campaign.phase
        if not _step(campaign, None):
            return moved  # another process made this step
        moved.append((before, campaign.phase))


def _step(campaign, actor):
    """One step on; finalising books the honours. False if another caller made the step first."""
    before = Phase(campaign.phase)
    following = campaigns.next_phase(campaign)
    if not campaigns.move(campaign, before, following):
        return False
    if following == Phase.FINAL:
        _finalise(campaign)
    audit.record("exemplar_phase_moved", target=campaign, actor=actor,
                 detail=f"{PHASE_LABELS[before]} → {PHASE_LABELS[following]}{'' if actor else '（按计划时间）'}")
    _announce(campaign)
    return True


def _finalise(campaign):
    """Honours for the winners, the exemplar credit for each (once), and the winners told."""
    winners = results.winners(campaign)
    rows = [{"campaign_id": campaign.id, "nomination_id": row.nomination_id, "person_id": row.person_id,
             "year": campaign.year, "category_name": category.name, "branch_name": row.branch_name,
             "rank": row.position, "votes": row.votes, "score": str(row.score), "created_at": utcnow()}
            for category, row in winners]
    insert_ignore(Honour, rows, ["nomination_id"])
    db.session.execute(update(Campaign).where(Campaign.id == campaign.id).values(finalised_at=utcnow())
                       .execution_options(synchronize_session=False))
    honours = db.session.scalars(select(Honour).where(Honour.campaign_id == campaign.id)).all()
    for honour in honours:
        credits.award(honour.person, TITLE_RULE, credits.Source(HONOUR_SOURCE, honour.id))
        title = f"恭喜您当选{campaign.year}年度“{honour.category_name}”"
        notify(honour.person_id, f"exemplar-honour-{honour.id}", title, f"{quoted(campaign.title)}评选结果已公布。",
               url="/exemplars/honours")
    db.session.refresh(campaign)


def _announce(campaign):
    """Tell everyone the campaign covers when voting opens (their inbox links to the ballot)."""
    if campaign.phase != Phase.VOTING:
        return
    people = voting.eligible_voter_ids(campaign)
    notify_many(people, f"exemplar-voting-{campaign.id}", f"{quoted(campaign.title)}开始投票",
                "请在投票截止前完成投票，投出后不能更改。", url=f"/exemplars/{campaign.id}/vote")
