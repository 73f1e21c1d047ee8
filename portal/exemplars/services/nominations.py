"""Nominations: who may put whom forward, with deeds and evidence, and who may see them.

A nomination names a person on post in the campaign's branches and one category. The source
follows from who nominates: oneself (自荐), a secretary or the committee for a person of a
branch they look after (支部推荐), anyone else for a colleague of their own branch (群众推荐);
the campaign says which sources it takes. One person stands at most once per category (a
unique key), and in one category only unless the campaign allows several (a second unique key
on a column that holds the campaign's id exactly when it does not).

Deeds are Markdown, rendered by core.markdown; evidence is images or PDF checked by core.files
(images lose their EXIF), stored encrypted by core.uploads and served only to the committee,
the nominator, the nominee and the nominee's secretary. A photo is shown to voters and, for
winners, on the honours wall.
"""

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.core import audit, files, uploads
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.text import clean_multiline, quoted
from portal.exemplars.models import (
    Category,
    EvidenceFile,
    Nomination,
    NominationSource,
    NominationStatus,
    Phase,
)
from portal.exemplars.services import campaigns, qualification
from portal.extensions import db
from portal.inbox.services import notify
from portal.roster import services as roster
from portal.roster.models import PARTY_STATUSES, Organisation, Person, PersonStatus

UPLOAD_KIND = "exemplars"
DEEDS_MIN = 20
DEEDS_MAX = 5000
MAX_FILES = 6
MAX_FILE_BYTES = 5 * 1024 * 1024
EVIDENCE_TYPES = ("jpg", "png", "pdf")
PHOTO_TYPES = ("jpg", "png")
NOMINEE_SEARCH_LIMIT = 20


# --- who may nominate whom -------------------------------------------------------------------------

def source_for(actor, campaign, nominee):
    """The source a nomination by `actor` of `nominee` would have; PermissionDenied if the campaign takes none."""
    person = campaigns.actor_person(actor)
    allowed = set(campaign.sources)
    if person is not None and person.id == nominee.id:
        if NominationSource.SELF in allowed:
            return NominationSource.SELF
        raise PermissionDenied("本次评选不接受个人自荐")
    secretary = nominee.branch is not None and actor.has_permission("exemplars.nominate", nominee.branch)
    if secretary and NominationSource.BRANCH in allowed:
        return NominationSource.BRANCH
    if person is not None and person.branch_id is not None and person.branch_id == nominee.branch_id:
        if NominationSource.PEER in allowed:
            return NominationSource.PEER
        raise PermissionDenied("本次评选不接受群众推荐，请联系所在党支部推荐")
    raise PermissionDenied("您只能提名本支部的人员")


def nominee_choices(actor, campaign, q):
    """People the actor may nominate whose name or pinyin matches `q` (at most NOMINEE_SEARCH_LIMIT)."""
    q = (q or "").strip()
    if not q:
        return []
    branch_ids = _nominating_branches(actor, campaign)
    if not branch_ids:
        return []
    return roster.find_on_post(branch_ids, q, limit=NOMINEE_SEARCH_LIMIT)


def _nominating_branches(actor, campaign):
    """Ids of the branches whose people the actor may nominate in this campaign."""
    allowed = set(campaign.sources)
    ids = set()
    if NominationSource.BRANCH in allowed:
        scopes = actor.scopes("exemplars.nominate")
        conditions = [Organisation.path.startswith(org.path) for org in scopes]
        if conditions:
            ids.update(db.session.scalars(select(Organisation.id).where(
                Organisation.kind == "branch", Organisation.path.startswith(campaign.organisation.path),
                or_(*conditions))))
    person = campaigns.actor_person(actor)
    if person is not None and campaigns.covers(campaign, person) and (
            NominationSource.PEER in allowed or NominationSource.SELF in allowed):
        ids.add(person.branch_id)
    return sorted(ids)


def nominee(actor, campaign, person_id):
    """The person a nomination form names, if the actor may nominate them; ValidationError otherwise."""
    person = db.session.get(Person, person_id) if person_id else None
    if person is None or not campaigns.covers(campaign, person):
        raise ValidationError("请从搜索结果中选择被提名人", field="person_id")
    if person.status != PersonStatus.ON_POST:
        raise ValidationError(f"{person.name}目前不在岗，不能被提名", field="person_id")
    source_for(actor, campaign, person)
    return person


# --- nominating ------------------------------------------------------------------------------------

def nominate(actor, campaign_id, *, person_id, category_id, deeds, photo=None, evidence=()):
    """A nomination with its deeds, photo and evidence, checked at once; the nominee is told. Audited."""
    campaign = campaigns.get_visible(actor, campaign_id)
    campaigns.require_phase(campaign, Phase.NOMINATION, "提名")
    person = nominee(actor, campaign, person_id)
    source = source_for(actor, campaign, person)
    category = _category(campaign, category_id)
    if category.members_only and person.political_status not in PARTY_STATUSES:
        raise ValidationError(f"“{category.name}”只能提名党员，{person.name}的政治面貌是{person.political_status}",
                              field="category_id")
    deeds = _checked_deeds(deeds)
    checked = _checked_files(photo, evidence)
    nomination = Nomination(
        campaign_id=campaign.id, category_id=category.id, person_id=person.id, source=source,
        single_category_key=None if campaign.multi_category else campaign.id, nominated_by_id=actor.id,
        deeds=deeds, status=NominationStatus.PENDING)
    try:
        with db.session.begin_nested():
            db.session.add(nomination)
    except IntegrityError:
        raise ConflictError(_duplicate_message(campaign, category, person), field="person_id") from None
    _store_files(actor, nomination, checked)
    qualification.run_checks(nomination)
    audit.record("exemplar_nominated", target=nomination, actor=actor,
                 detail=f"{person.name}：{category.name}（{nomination.source_label}）")
    notify(person, f"exemplar-nominated-{nomination.id}", f"您被提名参加{quoted(campaign.title)}",
           f"类别：{category.name}。资格审查结果将另行通知。", url=f"/exemplars/nominations/{nomination.id}")
    return nomination


def _category(campaign, category_id):
    category = db.session.get(Category, category_id) if category_id else None
    if category is None or category.campaign_id != campaign.id:
        raise ValidationError("请选择评选类别", field="category_id")
    return category


def _duplicate_message(campaign, category, person):
    """Which unique key refused the nomination, said for the user."""
    same_category = db.session.scalar(select(Nomination.id).where(
        Nomination.category_id == category.id, Nomination.person_id == person.id))
    if same_category:
        return f"{person.name}已被提名为“{category.name}”，不能重复提名"
    return f"本次评选每人只能被提名一个类别，{person.name}已在其他类别被提名"


def _checked_deeds(deeds):
    deeds = clean_multiline(deeds or "").strip()
    counted = len("".join(deeds.split()))
    if counted < DEEDS_MIN:
        raise ValidationError(f"主要事迹至少 {DEEDS_MIN} 字（不计空格），目前 {counted} 字", field="deeds")
    if len(deeds) > DEEDS_MAX:
        raise ValidationError(f"主要事迹不能超过 {DEEDS_MAX} 字", field="deeds")
    return deeds


def _checked_files(photo, evidence):
    """[(CheckedFile, is_photo)] for the photo (optional) and the evidence files."""
    evidence = [f for f in evidence if f is not None and f.filename]
    checked = []
    if photo is not None and photo.filename:
        checked.append((files.check(photo, allowed=PHOTO_TYPES, max_bytes=MAX_FILE_BYTES, field="photo",
                                    strip_images=True), True))
    if len(evidence) > MAX_FILES:
        raise ValidationError(f"证明材料最多 {MAX_FILES} 个文件", field="evidence")
    checked += [(files.check(f, allowed=EVIDENCE_TYPES, max_bytes=MAX_FILE_BYTES, field="evidence",
                             strip_images=True), False) for f in evidence]
    return checked


def _store_files(actor, nomination, checked):
    for file, is_photo in checked:
        stored = uploads.keep(UPLOAD_KIND, file.data, file.extension)
        nomination.files.append(EvidenceFile(filename=file.name, stored_name=stored, extension=file.extension,
                                             size=len(file.data), is_photo=is_photo, uploaded_by_id=actor.id))
    db.session.flush()


def can_withdraw(actor, nomination):
    """True if the actor may take the nomination back now (its nominator or nominee, pending, during nomination)."""
    return ((actor.id == nomination.nominated_by_id or actor.person_id == nomination.person_id)
            and nomination.status == NominationStatus.PENDING and nomination.campaign.phase == Phase.NOMINATION)


def withdraw(actor, nomination_id):
    """The nominator (or the nominee) takes a pending nomination back during nomination; it is removed. Audited."""
    nomination = get_visible(actor, nomination_id)
    if actor.id != nomination.nominated_by_id and actor.person_id != nomination.person_id:
        raise PermissionDenied("只有提名人或被提名人可以撤回提名")
    campaigns.require_phase(nomination.campaign, Phase.NOMINATION, "撤回提名")
    if nomination.status != NominationStatus.PENDING:
        raise ConflictError("提名已审核，不能撤回")
    stored = [f.stored_name for f in nomination.files]
    audit.record("exemplar_nomination_withdrawn", target=nomination, actor=actor,
                 detail=f"{nomination.person.name}：{nomination.category.name}")
    db.session.delete(nomination)
    db.session.flush()
    for name in stored:
        uploads.discard(UPLOAD_KIND, name)
    return nomination


# --- who sees what -----------------------------------------------------------------------------------

def can_see_evidence(actor, nomination):
    """The committee, the nominator, the nominee and the nominee's secretary see the deeds' evidence."""
    return (campaigns.manages(actor, nomination.campaign) or actor.id == nomination.nominated_by_id
            or actor.person_id == nomination.person_id
            or (nomination.person.branch is not None
                and actor.has_permission("exemplars.nominate", nomination.person.branch)))


def is_public(nomination):
    """A qualified nomination is shown to everyone in the campaign once voting has opened."""
    return nomination.status == NominationStatus.QUALIFIED and nomination.campaign.reached(Phase.VOTING)


def get_visible(actor, nomination_id):
    """A nomination the actor may open (see can_see_evidence and is_public); NotFound otherwise."""
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None:
        raise NotFound("提名不存在")
    campaign = campaigns.get_visible(actor, nomination.campaign_id)
    if can_see_evidence(actor, nomination) or (is_public(nomination) and campaign.phase != Phase.DRAFT):
        return nomination
    raise NotFound("提名不存在")


def file_for(actor, nomination_id, file_id):
    """(file, bytes) of a nomination's file the actor may open: evidence to those who see it, a public photo to all."""
    nomination = get_visible(actor, nomination_id)
    file = db.session.get(EvidenceFile, file_id)
    if file is None or file.nomination_id != nomination.id:
        raise NotFound("文件不存在")
    if not (can_see_evidence(actor, nomination) or (file.is_photo and is_public(nomination))):
        raise NotFound("文件不存在")
    return file, stored_bytes(file)


def stored_bytes(file):
    """The bytes of a kept file; NotFound if the file has gone."""
    try:
        return uploads.load(UPLOAD_KIND, file.stored_name)
    except ValidationError:
        raise NotFound("文件已丢失，请联系党委") from None


def listing(actor, campaign):
    """The nominations the actor may see in a campaign, by category, then status, then name."""
    stmt = (select(Nomination).join(Category, Category.id == Nomination.category_id)
            .join(Person, Person.id == Nomination.person_id)
            .where(Nomination.campaign_id == campaign.id)
            .order_by(Category.sort_order, Nomination.status, Person.name_sort, Nomination.id))
    rows = db.session.scalars(stmt).all()
    return [n for n in rows if can_see_evidence(actor, n) or is_public(n)]


def counts_by_status(campaign_id):
    """{status: number of nominations} of a campaign."""
    return dict(db.session.execute(select(Nomination.status, func.count()).where(
        Nomination.campaign_id == campaign_id).group_by(Nomination.status)).all())
