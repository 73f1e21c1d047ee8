import re

from sqlalchemy import func, select

from portal.core import crypto
from portal.core.audit import AuditEntry
from portal.extensions import db
from portal.roster.models import Person
from tests.conftest import keyed, login
from tests.factories import make_id_number, make_person


def _person_form(world, **overrides):
    data = {
        "name": "孙七", "gender": "男", "id_number": make_id_number(serial=321),
        "phone": "13912345678", "employee_no": "Z1001", "unit_id": world.unit_a.id,
        "job_type": "采煤机司机", "skill_level": "高级工", "political_status": "正式党员",
        "joined_party_on": "2012-07-01", "status": "在岗",
    }
    data.update(overrides)
    return data


def test_pinyin_initials_find_people(client, world):
    make_person(world.unit_a, "张三丰")
    db.session.commit()
    login(client, world.users.secretary)
    page = client.get("/roster/?q=zs").get_data(as_text=True)
    assert "张三" in page and "张三丰" in page and "李四" not in page
    assert "张三丰" in client.get("/roster/?q=zhangsanf").get_data(as_text=True)
    assert "李四" in client.get("/roster/?q=李").get_data(as_text=True)


def test_the_roster_sorts_by_the_surnames_syllable_then_the_given_name(client, world):
    for name in ("刘洋", "程刚", "李娜", "陈伟", "李明", "曾强"):
        make_person(world.unit_b, name)
    db.session.commit()
    login(client, world.users.committee)
    page = client.get(f"/roster/?branch={world.branch_b.id}").get_data(as_text=True)
    shown = [name for name in re.findall(r"<strong>([^<]+)</strong>", page)
             if name in {"刘洋", "程刚", "李娜", "陈伟", "李明", "曾强", "刘委员", "陈五"}]
    # chen < cheng (陈 before 程), li < liu (刘 after every 李), and 曾 read as zeng, not ceng.
    assert shown == ["陈伟", "陈五", "程刚", "李明", "李娜", "刘委员", "刘洋", "曾强"]


def test_filters_and_pagination(app, client, world):
    for i in range(35):
        make_person(world.unit_a, f"测试{i:02d}", political_status="群众")
    db.session.commit()
    login(client, world.users.secretary)
    first = client.get("/roster/?political=群众").get_data(as_text=True)
    assert "共 36 条" in first and "第 1 / 2 页" in first
    second = client.get("/roster/?political=群众&page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second
    members = client.get("/roster/?political=正式党员").get_data(as_text=True)
    assert "张三" in members and "测试00" not in members


def test_person_page_masks_id_and_phone(client, world):
    login(client, world.users.secretary)
    member = world.people.member
    page = client.get(f"/roster/{member.id}").get_data(as_text=True)
    full_id, full_phone = member.reveal_id_number(), member.reveal_phone()
    assert full_id not in page and full_phone not in page
    assert f"{full_id[:4]}**********{full_id[-4:]}" in page
    assert f"{full_phone[:3]}****{full_phone[-4:]}" in page
    assert "查看完整号码" not in page  # a secretary may not reveal


def test_reveal_shows_the_number_and_is_audited(client, world):
    login(client, world.users.committee)
    member = world.people.member
    page = client.post(f"/roster/{member.id}/reveal", data={"what": "id"}).get_data(as_text=True)
    assert member.reveal_id_number() in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "id_revealed"))
    assert entry.actor_id == world.users.committee.id
    assert entry.target_type == "person" and entry.target_id == member.id
    phone_page = client.post(f"/roster/{member.id}/reveal", data={"what": "phone"}).get_data(as_text=True)
    assert member.reveal_phone() in phone_page


def test_id_is_encrypted_at_rest(world):
    member = world.people.member
    number = member.reveal_id_number()
    row = db.session.execute(select(Person.__table__).where(Person.id == member.id)).mappings().one()
    assert all(number not in str(value) for value in row.values())
    assert row["id_hash"] == crypto.blind_index("id", number)


def test_create_person_with_bad_input_keeps_what_was_typed(client, world):
    login(client, world.users.secretary)
    before = db.session.scalar(select(func.count(Person.id)))
    bad = _person_form(world, id_number="140402198506150012")  # wrong check digit
    page = client.post("/roster/new", data=keyed(bad)).get_data(as_text=True)
    assert "身份证号校验位错误" in page and 'value="孙七"' in page
    assert re.search(r'<input class="form-control is-invalid" id="id_number"', page)  # under its field
    wrong_gender = client.post("/roster/new", data=keyed(_person_form(world, gender="女"))).get_data(as_text=True)
    assert "性别与身份证号不符" in wrong_gender
    duplicate = _person_form(world, id_number=world.people.other.reveal_id_number())
    assert "已有相同身份证号" in client.post("/roster/new", data=keyed(duplicate)).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Person.id))) == before


def test_create_person_ignores_fields_the_form_does_not_offer(client, world):
    login(client, world.users.secretary)
    data = _person_form(world, branch_id=world.branch_b.id, id_hash="forged", name_initials="xx")
    response = client.post("/roster/new", data=keyed(data))
    assert response.status_code == 302
    person = db.session.scalar(select(Person).where(Person.name == "孙七"))
    assert person.branch_id == world.branch_a.id  # from the unit, not the request
    assert person.id_hash != "forged" and person.name_initials == "sq"


def test_secretary_cannot_add_people_to_another_branchs_unit(client, world):
    login(client, world.users.secretary)
    page = client.post("/roster/new", data=keyed(_person_form(world, unit_id=world.unit_b.id))).get_data(as_text=True)
    assert "不是有效的选择" in page
    assert db.session.scalar(select(Person).where(Person.name == "孙七")) is None


def test_edit_person(client, world):
    login(client, world.users.secretary)
    member = world.people.member
    data = _person_form(world, name="张三", id_number=member.reveal_id_number(),
                        phone=member.reveal_phone(), employee_no=member.employee_no,
                        gender=member.gender, job_type="支架工", joined_party_on="2010-07-01")
    assert client.post(f"/roster/{member.id}/edit", data=keyed(data)).status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, member.id).job_type == "支架工"


def test_org_tree_and_units(client, world):
    login(client, world.users.committee)
    response = client.post("/roster/orgs/new", data=keyed({
        "name": "机电科党支部", "kind": "branch", "parent_id": world.committee.id, "sort_order": 3}))
    assert response.status_code == 302
    bad = client.post("/roster/orgs/new", data=keyed({
        "name": "第一党小组", "kind": "group", "parent_id": world.committee.id}), follow_redirects=True)
    assert "党委下不能设立党小组" in bad.get_data(as_text=True)
    page = client.get("/roster/orgs").get_data(as_text=True)
    assert "机电科党支部" in page and "第一党小组" not in page


def test_surnames_with_a_special_reading_are_found_by_their_initials(client, world):
    make_person(world.unit_a, "曾伟")
    make_person(world.unit_a, "翟志刚")
    db.session.commit()
    login(client, world.users.secretary)
    assert "曾伟" in client.get("/roster/?q=zw").get_data(as_text=True)
    assert "翟志刚" in client.get("/roster/?q=zzg").get_data(as_text=True)
