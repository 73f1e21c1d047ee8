"""Nominations: who may put whom forward, once per category, with deeds and evidence that are checked."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.core import uploads
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.files import Upload
from portal.exemplars.models import EvidenceFile, Nomination, NominationSource, Phase
from portal.exemplars.services import nominations
from portal.exemplars.services.campaigns import CategorySpec
from portal.extensions import db
from portal.inbox.models import Message
from tests import factories
from tests.exemplars.helpers import DEEDS, credit_q1, new_campaign, nominate, qualify, to_phase


@pytest.fixture()
def open_campaign(world, now):
    """A campaign in its nomination phase, Q1 credits frozen."""
    credit_q1(now, world)
    campaign = new_campaign(now, world)
    to_phase(now, world, campaign, Phase.NOMINATION)
    return campaign


def _count():
    return db.session.scalar(select(func.count()).select_from(Nomination))


def test_the_source_follows_from_who_nominates(world, now, open_campaign):
    safety = open_campaign.categories[0]
    by_secretary = nominate(now, world.users.secretary, open_campaign, world.people.member, safety)
    by_self = nominate(now, world.users.activist, open_campaign, world.people.activist, safety)
    by_peer = nominate(now, world.users.staff, open_campaign, world.people.secretary, safety)
    assert (by_secretary.source, by_self.source, by_peer.source) == (
        NominationSource.BRANCH, NominationSource.SELF, NominationSource.PEER)
    # The nominee hears of it in their inbox.
    assert db.session.scalar(select(Message.title).where(Message.person_id == world.people.member.id)) == \
        "您被提名参加“2026年度‘六大员’评选”"


def test_a_member_cannot_nominate_outside_their_branch_nor_a_source_the_campaign_does_not_take(world, now):
    credit_q1(now, world)
    campaign = new_campaign(now, world, nominate_by=["branch"])
    to_phase(now, world, campaign, Phase.NOMINATION)
    safety = campaign.categories[0]
    with pytest.raises(PermissionDenied, match="您只能提名本支部的人员"):
        nominate(now, world.users.member, campaign, world.people.other, safety)
    with pytest.raises(PermissionDenied, match="不接受个人自荐"):
        nominate(now, world.users.member, campaign, world.people.member, safety)
    with pytest.raises(PermissionDenied, match="不接受群众推荐"):
        nominate(now, world.users.member, campaign, world.people.activist, safety)
    db.session.rollback()
    assert _count() == 0


def test_one_person_once_per_category_and_in_one_category_unless_allowed(world, now, open_campaign):
    safety, rescue = open_campaign.categories
    nominate(now, world.users.secretary, open_campaign, world.people.member, safety)
    with pytest.raises(ConflictError, match="张三已被提名为“安全生产监督员”，不能重复提名"):
        nominate(now, world.users.staff, open_campaign, world.people.member, safety)
    db.session.rollback()
    with pytest.raises(ConflictError, match="每人只能被提名一个类别"):
        nominate(now, world.users.secretary, open_campaign, world.people.member, rescue)
    db.session.rollback()
    assert _count() == 1


def test_several_categories_when_the_campaign_allows(world, now):
    credit_q1(now, world)
    campaign = new_campaign(now, world, multi_category=True)
    to_phase(now, world, campaign, Phase.NOMINATION)
    for category in campaign.categories:
        nominate(now, world.users.secretary, campaign, world.people.member, category)
    assert _count() == 2


def test_a_members_only_category_refuses_staff_and_nominations_wait_for_their_phase(world, now):
    credit_q1(now, world)
    campaign = new_campaign(now, world, categories=[CategorySpec("形势任务宣传员", "", 1, 1, members_only=True)])
    category = campaign.categories[0]
    with pytest.raises(ValidationError, match="提名只能在提名阶段进行，本活动目前处于筹备中阶段"):
        nominations.nominate(world.users.committee, campaign.id, person_id=world.people.member.id,
                             category_id=category.id, deeds=DEEDS)
    db.session.rollback()
    to_phase(now, world, campaign, Phase.NOMINATION)
    with pytest.raises(ValidationError, match="只能提名党员，赵六的政治面貌是群众"):
        nominate(now, world.users.secretary, campaign, world.people.staff, category)
    db.session.rollback()
    assert _count() == 0


def test_deeds_need_substance_and_hostile_markdown_is_made_harmless(world, now, open_campaign):
    safety = open_campaign.categories[0]
    with pytest.raises(ValidationError, match="主要事迹至少 20 字"):
        nominate(now, world.users.secretary, open_campaign, world.people.member, safety, deeds="好人\u200b好事")
    db.session.rollback()
    made = nominate(now, world.users.secretary, open_campaign, world.people.member, safety,
                    deeds="[点我](javascript:alert(1)) <img src=x onerror=alert(1)> " + DEEDS)
    from portal.core import markdown

    html = str(markdown.render(made.deeds))
    assert "javascript:" not in html and "onerror" not in html and "带领班组" in html


def _jpeg_with_exif():
    image = Image.new("RGB", (40, 50), "red")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0132] = "2026:06:01 08:30:00"  # DateTime
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_loses_its_exif_and_evidence_is_checked_by_content(world, now, open_campaign):
    safety = open_campaign.categories[0]
    photo = _jpeg_with_exif()
    assert b"CameraMaker" in photo
    made = nominate(now, world.users.secretary, open_campaign, world.people.member, safety,
                    photo=Upload("照片.jpeg", photo), evidence=[Upload("证书.pdf", b"%PDF-1.4 real enough")])
    stored = {f.is_photo: f for f in made.files}
    kept = uploads.load(nominations.UPLOAD_KIND, stored[True].stored_name)
    assert b"CameraMaker" not in kept and "exif" not in Image.open(io.BytesIO(kept)).info
    assert Image.open(io.BytesIO(kept)).size == (40, 50)
    assert stored[False].extension == "pdf" and stored[True].extension == "jpg"


@pytest.mark.parametrize("upload, field, message", [
    (Upload("证书.pdf", b"MZ\x90\x00 an exe"), "evidence", "内容与扩展名不符"),
    (Upload("证书.exe", b"MZ"), "evidence", "类型不允许"),
    (Upload("大.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)), "evidence", "超过 5 MB"),
    (Upload("假图.jpg", b"\xff\xd8\xff but no image"), "evidence", "无法作为图片打开"),
])
def test_bad_evidence_is_refused_and_nothing_is_kept(world, now, open_campaign, upload, field, message):
    with pytest.raises(ValidationError, match=message) as refused:
        nominate(now, world.users.secretary, open_campaign, world.people.member, open_campaign.categories[0],
                 evidence=[upload])
    assert refused.value.field == field
    db.session.rollback()
    assert _count() == 0 and db.session.scalar(select(func.count()).select_from(EvidenceFile)) == 0


def test_evidence_is_private_and_a_photo_is_public_once_voting_opens(world, now, open_campaign):
    made = nominate(now, world.users.secretary, open_campaign, world.people.member, open_campaign.categories[0],
                    photo=Upload("照片.png", _png()), evidence=[Upload("证书.pdf", b"%PDF-1.4")])
    photo = next(f for f in made.files if f.is_photo)
    evidence = next(f for f in made.files if not f.is_photo)
    for user in (world.users.committee, world.users.secretary, world.users.member):
        assert nominations.file_for(user, made.id, evidence.id)[0] is evidence
    for user in (world.users.staff, world.users.activist):
        with pytest.raises(NotFound):
            nominations.file_for(user, made.id, photo.id)
    qualify(world, made)
    to_phase(now, world, open_campaign, Phase.VOTING)
    assert nominations.file_for(world.users.staff, made.id, photo.id)[0] is photo
    with pytest.raises(NotFound):
        nominations.file_for(world.users.staff, made.id, evidence.id)


def _png():
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="PNG")
    return out.getvalue()


def test_a_pending_nomination_can_be_withdrawn_by_its_nominator_only(world, now, open_campaign):
    made = nominate(now, world.users.secretary, open_campaign, world.people.member, open_campaign.categories[0],
                    evidence=[Upload("证书.pdf", b"%PDF-1.4")])
    stored = made.files[0].stored_name
    with pytest.raises(PermissionDenied):
        nominations.withdraw(world.users.committee, made.id)
    nominations.withdraw(world.users.secretary, made.id)
    db.session.commit()
    assert _count() == 0 and not uploads.path_of(nominations.UPLOAD_KIND, stored).exists()


def test_nominee_search_only_offers_people_the_user_may_nominate(world, now, open_campaign):
    names = lambda user, q: [p.name for p in nominations.nominee_choices(user, open_campaign, q)]  # noqa: E731
    assert names(world.users.member, "zs") == ["张三"]
    assert names(world.users.member, "陈") == []  # 陈五 is in the other branch
    assert names(world.users.committee, "陈") == ["陈五"]
    other = factories.make_person(world.unit_a, "张离职", status="调出")
    db.session.commit()
    assert other.name not in names(world.users.secretary, "张")
