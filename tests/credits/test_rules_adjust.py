"""Rule editing (versions, Chinese field errors), manual adjustments and reversals through the pages."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.credits.models import CreditAdjustment, CreditRule, LedgerEntry
from portal.credits.rules import DEFAULT_RULES
from portal.extensions import db
from tests.conftest import keyed
from tests.credits.helpers import at, commit, csrf_token, give
from tests.factories import PASSWORD

NOW = at(2026, 11, 22)


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action):
    return count(AuditEntry, AuditEntry.action == action)


RULE_FORM = {
    "name": "每日一学（新版）", "mode": "fixed", "points": "2", "daily_cap": "3", "weekly_cap": "",
    "monthly_cap": "", "statuses": ["正式党员", "预备党员"], "description": "阅读文章",
}


# --- rules ------------------------------------------------------------------------------------------

def test_rule_list_shows_defaults_without_writing_and_manual_is_not_editable(client, login_as, world):
    login_as(world.users.committee)
    page = client.get("/credits/rules").get_data(as_text=True)
    for name in ("每日一学", "每周一测", "心得体会", "手动加减分"):
        assert name in page
    assert "每日 2" in page and "按成绩" in page and "正式党员、预备党员、入党积极分子" in page
    assert page.count('data-testid="not-editable"') == 1
    assert "/credits/rules/manual/edit" not in page and "/credits/rules/study_read/edit" in page
    assert count(CreditRule) == 0  # listing writes nothing
    # Codes stay in the links; the text a user reads names and describes each rule in Chinese.
    visible = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    for code in DEFAULT_RULES:
        assert code not in visible
    assert "阅读当日学习文章并达到最短阅读时间" in visible


def test_editing_a_rule_makes_a_new_version(client, login_as, world, now):
    now.set(NOW)
    login_as(world.users.committee)
    response = client.post("/credits/rules/study_read/edit", data=keyed(RULE_FORM))
    assert response.status_code == 302 and response.location.endswith("/credits/rules/study_read")
    versions = db.session.scalars(
        select(CreditRule).where(CreditRule.code == "study_read").order_by(CreditRule.version)).all()
    assert [(v.version, v.is_current) for v in versions] == [(1, False), (2, True)]
    assert versions[0].valid_to == date(2026, 11, 21) and versions[1].valid_from == date(2026, 11, 22)
    assert (versions[1].points, versions[1].daily_cap, versions[1].applies_to) == (2, 3, "正式党员,预备党员")
    assert audits("credit_rule_changed") == 1
    history = client.get("/credits/rules/study_read").get_data(as_text=True)
    assert history.count('data-testid="version"') == 2 and "每日一学（新版）" in history and "当前" in history


@pytest.mark.parametrize("change, field_error", [
    ({"points": "abc"}, "不是有效的整数"),
    ({"points": "0"}, "分值应在 1 到 1000 之间"),
    ({"points": "5000"}, "分值应在 1 到 1000 之间"),
    ({"points": ""}, "请填写分值"),
    ({"daily_cap": "-1"}, "上限应为正整数，不设上限请留空"),
    ({"weekly_cap": "x"}, "不是有效的整数"),
    ({"mode": "bonus"}, "不是有效的选择"),
    ({"name": ""}, "请填写规则名称"),
    ({"statuses": ["党员"]}, "不是有效的选择"),
])
def test_rule_edit_errors_keep_what_was_typed_and_write_nothing(client, login_as, world, change, field_error, now):
    now.set(NOW)
    login_as(world.users.committee)
    data = {**RULE_FORM, "description": "我刚才写的说明", **change}
    response = client.post("/credits/rules/study_read/edit", data=keyed(data))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error in page and "invalid-feedback" in page
    assert "我刚才写的说明" in page
    for name, value in change.items():
        if name in ("points", "daily_cap", "weekly_cap") and value:
            assert f'value="{value}"' in page
    assert count(CreditRule) == 0 and audits("credit_rule_changed") == 0


def test_manual_rule_and_unknown_rules_cannot_be_edited(client, login_as, world):
    login_as(world.users.committee)
    refused = client.get("/credits/rules/manual/edit", follow_redirects=True)
    assert "手动加减分规则的分值由每次调整决定，不能修改" in refused.get_data(as_text=True)
    posted = client.post("/credits/rules/manual/edit", data=keyed({**RULE_FORM}))
    assert posted.status_code == 302 and count(CreditRule, CreditRule.code == "manual") == 0
    assert client.get("/credits/rules/no_such_rule/edit").status_code == 404
    assert client.get("/credits/rules/no_such_rule").status_code == 404


def test_only_the_committee_edits_rules(client, login_as, world):
    login_as(world.users.secretary)
    assert client.post("/credits/rules/study_read/edit", data=keyed(RULE_FORM)).status_code == 403
    assert client.get("/credits/rules").status_code == 403
    assert count(CreditRule) == 0


# --- adjustments --------------------------------------------------------------------------------------

def _adjust_form_values(page):
    """What the adjustment form carries: its hidden person, submit key and CSRF token."""
    form = page[page.index('data-testid="adjust-form"'):]
    return {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1)
            for name in ("person_id", "submit_key", "csrf_token")}


def test_adjustment_finds_the_person_by_pinyin_and_picks_without_javascript(csrf_client, world, now):
    now.set(NOW)
    member = world.people.member
    token = csrf_token(csrf_client.get("/login").get_data(as_text=True))
    logged_in = csrf_client.post("/login", data={"identifier": world.users.committee.person.employee_no,
                                                  "password": PASSWORD, "csrf_token": token})
    assert logged_in.status_code == 302
    start = csrf_client.get("/credits/adjust").get_data(as_text=True)
    assert "人员编号" not in start and 'data-testid="person-search"' in start
    assert "请先在上方查找并选择调整对象" in start
    # The search is a plain GET; each match has its own 选择 button (a GET with the person hidden).
    found = csrf_client.get("/credits/adjust?q=zs").get_data(as_text=True)
    matches = found.split('data-testid="person-match"')[1:]
    assert len(matches) == 1 and "张三" in matches[0] and "综采一队" in matches[0]
    pick = re.search(r'<form method="get" action="(/credits/adjust)">\s*<input type="hidden" name="person_id" '
                     r'value="(\d+)">\s*<button[^>]*>选择</button>', matches[0])
    assert pick and int(pick.group(2)) == member.id
    picked = csrf_client.get(f"{pick.group(1)}?person_id={pick.group(2)}").get_data(as_text=True)
    target = picked[picked.index('data-testid="adjust-target"'):].split("</p>")[0]
    shown = re.sub(r"<[^>]+>", " ", target)
    assert "张三" in shown and "综采一队党支部" in shown
    assert not re.search(rf"(?<![0-9A-Za-z]){member.id}(?![0-9A-Za-z])", shown)
    values = _adjust_form_values(picked)
    assert values["person_id"] == str(member.id)  # carried, never shown
    data = {"person_id": values["person_id"], "points": "5", "reason": "抢险救灾表现突出",
            "submit_key": values["submit_key"]}
    refused = csrf_client.post("/credits/adjust", data=data)
    assert refused.status_code == 400 and count(LedgerEntry) == 0
    done = csrf_client.post("/credits/adjust", data={**data, "csrf_token": values["csrf_token"]})
    assert done.status_code == 302 and done.location.endswith(f"/credits/people/{member.id}")
    entry = db.session.scalar(select(LedgerEntry))
    assert (entry.person_id, entry.points, entry.rule_code) == (member.id, 5, "manual")
    assert entry.reason == "抢险救灾表现突出"
    assert audits("credit_adjusted") == 1
    page = csrf_client.get(done.location).get_data(as_text=True)
    assert "已为 张三 调整 +5 分" in page and "原因：抢险救灾表现突出" in page
    # Sent again (a double tap): the one-time key books it once.
    again = csrf_client.post("/credits/adjust", data={**data, "csrf_token": values["csrf_token"]})
    assert again.status_code == 302 and count(LedgerEntry) == 1


@pytest.mark.parametrize("query, names", [
    ("张", ["张三"]), ("zhang", ["张三"]), ("ZS", ["张三"]), ("l", ["李四", "刘委员"]), ("chenwu", ["陈五"]),
    ("王五", []),
])
def test_adjustment_search_by_name_pinyin_or_initials(client, login_as, world, query, names):
    login_as(world.users.committee)
    page = client.get("/credits/adjust", query_string={"q": query}).get_data(as_text=True)
    found = [m.split("<strong>")[1].split("</strong>")[0] for m in page.split('data-testid="person-match"')[1:]]
    assert found == names
    if not names:
        assert f"没有找到“{query}”" in page


def test_adjustment_search_keeps_to_the_branches_the_user_may_adjust(client, login_as, world):
    from portal.core.permissions import Role
    from tests.factories import make_user

    # A committee member whose grant is on one branch only finds that branch's people.
    branch_only = make_user(world.people.other, login_name="zhibu_weiyuan", roles=[(Role.COMMITTEE, world.branch_b)])
    db.session.commit()
    login_as(branch_only)
    page = client.get("/credits/adjust?q=z").get_data(as_text=True)
    assert "张三" not in page and "赵六" not in page
    assert "陈五" in client.get("/credits/adjust?q=cw").get_data(as_text=True)
    # A person outside the grant, picked by a hand-made link or form, is neither shown nor adjusted.
    picked = client.get(f"/credits/adjust?person_id={world.people.member.id}").get_data(as_text=True)
    assert 'data-testid="adjust-target"' not in picked and "张三" not in picked
    posted = client.post("/credits/adjust", data=keyed(person_id=world.people.member.id, points="3", reason="x"))
    assert "人员不存在或不在您的管理范围内" in posted.get_data(as_text=True) and count(LedgerEntry) == 0


@pytest.mark.parametrize("change, field_error", [
    ({"person_id": "999999"}, "人员不存在或不在您的管理范围内"),
    ({"person_id": ""}, "请先查找并选择调整对象"),
    ({"points": "0"}, "调整分值应在 -100 到 100 之间且不为 0"),
    ({"points": "101"}, "调整分值应在 -100 到 100 之间且不为 0"),
    ({"points": "五"}, "不是有效的整数"),
    ({"reason": "   "}, "请写明调整原因"),
])
def test_adjustment_errors_are_shown_on_the_form_and_write_nothing(client, login_as, world, change, field_error):
    login_as(world.users.committee)
    data = {"person_id": str(world.people.member.id), "points": "-3", "reason": "迟到早退", **change}
    response = client.post("/credits/adjust", data=keyed(data))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and field_error in page
    if change.get("reason") is None:
        assert "迟到早退" in page  # what was typed is kept
    if "person_id" in change:
        assert 'data-testid="person-search"' in page  # pick again
    else:
        assert 'data-testid="adjust-target"' in page  # the person picked stays picked
    assert count(LedgerEntry) == 0 and count(CreditAdjustment) == 0 and audits("credit_adjusted") == 0


def test_secretary_cannot_adjust_or_reverse(client, login_as, world, now):
    entry = give(now, world.users.committee, world.people.member, 5, NOW)
    commit()
    login_as(world.users.secretary)
    adjust = client.post("/credits/adjust", data=keyed(person_id=world.people.member.id, points=5, reason="x"))
    assert adjust.status_code == 403
    assert client.post(f"/credits/entries/{entry.id}/reverse", data={"reason": "x"}).status_code == 403
    assert count(LedgerEntry) == 1


# --- reversals -------------------------------------------------------------------------------------

def test_reversal_from_the_ledger_page(client, login_as, world, now):
    member = world.people.member
    entry = give(now, world.users.committee, member, 6, at(2026, 11, 5), reason="录入重复")
    now.set(NOW)
    commit()
    login_as(world.users.committee)
    ledger = client.get(f"/credits/people/{member.id}").get_data(as_text=True)
    assert f'action="/credits/entries/{entry.id}/reverse"' in ledger
    empty = client.post(f"/credits/entries/{entry.id}/reverse", data={"reason": "", "person_id": member.id},
                        follow_redirects=True)
    assert "请写明冲销原因" in empty.get_data(as_text=True) and count(LedgerEntry) == 1
    done = client.post(f"/credits/entries/{entry.id}/reverse", data={"reason": "重复录入", "person_id": member.id})
    assert done.status_code == 302 and done.location.endswith(f"/credits/people/{member.id}")
    reversal = db.session.scalar(select(LedgerEntry).where(LedgerEntry.reverses_id == entry.id))
    assert reversal.points == -6 and reversal.reason == "重复录入" and audits("credit_reversed") == 1
    page = client.get(done.location).get_data(as_text=True)
    assert "已冲销 张三 的一条“手动加减分”积分（-6 分）" in page and 'data-testid="reversed"' in page
    again = client.post(f"/credits/entries/{entry.id}/reverse", data={"reason": "再来", "person_id": member.id},
                        follow_redirects=True)
    assert "该记录已经冲销过" in again.get_data(as_text=True)
    of_reversal = client.post(f"/credits/entries/{reversal.id}/reverse", data={"reason": "x"}, follow_redirects=True)
    assert "冲销记录本身不能再冲销" in of_reversal.get_data(as_text=True)
    assert count(LedgerEntry) == 2 and audits("credit_reversed") == 1
    missing = client.post("/credits/entries/999999/reverse", data={"reason": "x"}, follow_redirects=True)
    assert "积分记录不存在" in missing.get_data(as_text=True)
