"""每日一题 and 题库 in a real browser: answering on a phone, the bank pages fit both sizes."""

import re

from playwright.sync_api import expect

from portal.extensions import db
from portal.study.services import bank
from tests.e2e.conftest import check_layout, follow, identifier_of, login


def _question(org, kind, stem, options, answer, explanation, tags):
    fields = bank.clean_question(kind, stem, options, answer, explanation, 2, tags)
    question = bank.build_question(org, fields)
    db.session.flush()
    return question


def test_member_answers_the_daily_question_and_sees_the_explanation(page, world):
    """A multiple-choice question: tick two options, submit, see 回答正确 and the explanation."""
    _question(world.committee, "multiple", "“三会一课”中的“三会”是指（  ）。",
              ["支部党员大会", "支部委员会会议", "党小组会",
               "职工代表大会（这是一个比较长的选项，用来检查手机上的换行）"],
              "ABC", "“三会一课”：支部党员大会、支部委员会会议、党小组会和党课。", ["三会一课"])
    db.session.commit()
    login(page, identifier_of(world.users.member))
    page.goto("/study/daily/")
    panel = page.get_by_test_id("daily-panel")
    expect(panel).to_contain_text("“三会一课”中的“三会”是指")
    expect(panel).not_to_contain_text("党小组会和党课")  # the explanation comes only after answering
    check_layout(page)
    for text in ("支部党员大会", "支部委员会会议", "党小组会"):
        panel.get_by_role("checkbox", name=re.compile(text)).check()
    follow(panel.get_by_role("button", name="提交答案"))
    expect(page.get_by_test_id("daily-feedback")).to_contain_text("回答正确")
    expect(page.get_by_test_id("daily-correct")).to_have_text("A、B、C")
    expect(page.get_by_test_id("daily-explanation")).to_contain_text("支部党员大会、支部委员会会议、党小组会和党课")
    check_layout(page)


def test_secretary_bank_pages_fit(page, world):
    """The list, a question, the form (answer fields follow the kind) and the import page."""
    question = _question(world.branch_a, "fill", "我国安全生产方针是：安全第一、____、综合治理。", [], "预防为主",
                         "《安全生产法》第三条。", ["安全生产", "煤矿安全规程"])
    db.session.commit()
    login(page, identifier_of(world.users.secretary))
    page.goto("/study/bank/")
    expect(page.get_by_test_id("question-row")).to_have_count(1)
    check_layout(page)
    follow(page.get_by_test_id("question-row"))
    expect(page.get_by_test_id("answer-key")).to_have_text("预防为主")
    check_layout(page)
    page.goto(f"/study/bank/{question.id}/edit")
    expect(page.get_by_label("填空题答案")).to_be_visible()
    expect(page.get_by_label("选项A")).to_be_hidden()
    page.get_by_label("题型").select_option("single")
    expect(page.get_by_label("选项A")).to_be_visible()
    check_layout(page)
    page.goto("/study/bank/import")
    check_layout(page)
    page.goto("/study/daily/manage")
    expect(page.get_by_test_id("daily-line").first).to_be_visible()
    check_layout(page)
