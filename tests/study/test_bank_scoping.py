"""The question bank: who sees and edits which questions, the pages, retire/restore, hostile search."""

import itertools

import pytest
from sqlalchemy import func, select

from portal.core.exceptions import PermissionDenied
from portal.extensions import db
from portal.study.models.questions import Question
from portal.study.services import bank
from tests.conftest import keyed, login

_seq = itertools.count(1)


def make_question(org, kind="single", stem=None, options=("甲", "乙", "丙", "丁"), answer="B",
                  explanation="", difficulty=3, tags=("党章党规",)):
    """A saved question in `org`'s bank, checked by the bank's own rules."""
    stem = stem or f"第{next(_seq)}题：以下哪一项正确？"
    fields = bank.clean_question(kind, stem, list(options) if kind in ("single", "multiple") else [],
                                 answer, explanation, difficulty, list(tags))
    question = bank.build_question(org, fields)
    db.session.flush()
    return question


@pytest.fixture()
def questions(world):
    """One question in each bank: the committee's, branch A's and branch B's."""
    made = {
        "committee": make_question(world.committee, stem="党委题：党的最高领导机关是？"),
        "a": make_question(world.branch_a, stem="一队题：综采工作面支架初撑力的要求？"),
        "b": make_question(world.branch_b, stem="二队题：掘进工作面敲帮问顶的要求？"),
    }
    db.session.commit()
    return made


def _count():
    return db.session.scalar(select(func.count()).select_from(Question))


def test_secretary_sees_own_and_committee_questions_but_not_another_branch(client, world, questions):
    login(client, world.users.secretary)
    page = client.get("/study/bank/").get_data(as_text=True)
    assert "一队题" in page and "党委题" in page
    assert "二队题" not in page


def test_committee_sees_every_branch(client, world, questions):
    login(client, world.users.committee)
    page = client.get("/study/bank/").get_data(as_text=True)
    assert "一队题" in page and "二队题" in page and "党委题" in page


def test_idor_another_branchs_question_is_404_for_every_page(client, world, questions):
    login(client, world.users.secretary)
    own = questions["a"].id
    for url in (f"/study/bank/{own}", f"/study/bank/{own}/edit", f"/study/daily/pick/{own}"):
        page = client.get(url)
        assert page.status_code == 200 and "一队题：综采工作面支架初撑力的要求？" in page.get_data(as_text=True), url
    qid = questions["b"].id
    assert client.get(f"/study/bank/{qid}").status_code == 404
    assert client.get(f"/study/bank/{qid}/edit").status_code == 404
    assert client.post(f"/study/bank/{qid}/retire").status_code == 404
    assert client.get(f"/study/daily/pick/{qid}").status_code == 404
    response = client.post(f"/study/bank/{qid}/edit", data=keyed({
        "organisation_id": world.branch_a.id, "kind": "single", "stem": "改掉", "option_a": "1",
        "option_b": "2", "choice_answer": ["A"], "difficulty": 3}))
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Question, qid).stem.startswith("二队题")
    assert db.session.get(Question, qid).retired_at is None


def test_secretary_can_read_but_not_change_the_committee_question(client, world, questions):
    login(client, world.users.secretary)
    qid = questions["committee"].id
    detail = client.get(f"/study/bank/{qid}")
    assert detail.status_code == 200
    assert "只能由示范煤矿党委修改" in detail.get_data(as_text=True)
    assert client.get(f"/study/bank/{qid}/edit").status_code == 403
    response = client.post(f"/study/bank/{qid}/retire", follow_redirects=True)
    assert "您不能停用这道题" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Question, qid).retired_at is None


def test_members_cannot_open_the_bank(client, world, questions):
    login(client, world.users.member)
    assert client.get("/study/bank/").status_code == 403
    assert client.get(f"/study/bank/{questions['a'].id}").status_code == 403


def test_create_a_question_in_own_branch(client, world):
    login(client, world.users.secretary)
    response = client.post("/study/bank/new", data=keyed({
        "organisation_id": world.branch_a.id, "kind": "multiple", "stem": "三会一课包括哪些？",
        "option_a": "支部党员大会", "option_b": "支委会", "option_c": "党小组会", "option_d": "职工大会",
        "choice_answer": ["A", "B", "C"], "explanation": "三会一课：支部党员大会、支委会、党小组会和党课。",
        "difficulty": 2, "tags": "三会一课、党章党规",
    }))
    assert response.status_code == 302
    question = db.session.scalar(select(Question))
    assert question.organisation_id == world.branch_a.id
    assert question.answer == ["A", "B", "C"] and question.options[3] == "职工大会"
    assert set(question.tag_names) == {"三会一课", "党章党规"}


def test_create_refuses_another_branch_and_bad_answers(client, world):
    login(client, world.users.secretary)
    base = {"kind": "single", "stem": "题干", "option_a": "甲", "option_b": "乙", "difficulty": 3}
    page = client.post("/study/bank/new", data=keyed({**base, "organisation_id": world.branch_b.id,
                                                "choice_answer": ["A"]})).get_data(as_text=True)
    assert "不是有效的选择" in page  # branch B is not among the form's choices
    with pytest.raises(PermissionDenied, match="您不能管理该组织的题库"):
        bank.create_question(world.users.secretary, world.branch_b.id, kind="single", stem="x",
                             options=["1", "2"], answer="A")
    page = client.post("/study/bank/new", data=keyed({**base, "organisation_id": world.branch_a.id,
                                                "choice_answer": ["A", "B"]})).get_data(as_text=True)
    assert "单选题只能有一个答案" in page
    page = client.post("/study/bank/new", data=keyed({**base, "organisation_id": world.branch_a.id,
                                                "choice_answer": ["D"]})).get_data(as_text=True)
    assert "选项 D 不在本题的选项中" in page
    page = client.post("/study/bank/new", data=keyed({**base, "option_b": "", "organisation_id": world.branch_a.id,
                                                "choice_answer": ["A"]})).get_data(as_text=True)
    assert "单选题至少需要 2 个选项" in page
    assert _count() == 0


def test_duplicate_of_a_committee_question_is_refused(client, world, questions):
    login(client, world.users.secretary)
    page = client.post("/study/bank/new", data=keyed({
        "organisation_id": world.branch_a.id, "kind": "single", "stem": " 党委题：党的最高领导机关是？ ",
        "option_a": "甲", "option_b": "乙", "option_c": "丙", "option_d": "丁", "choice_answer": ["B"],
        "difficulty": 3})).get_data(as_text=True)
    assert f"题库中已有相同的题目：第 {questions['committee'].id} 号题" in page
    assert _count() == 3


def test_edit_changes_answer_and_tags(client, world, questions):
    login(client, world.users.secretary)
    qid = questions["a"].id
    form = client.get(f"/study/bank/{qid}/edit")
    assert form.status_code == 200
    assert "一队题：综采工作面支架初撑力的要求？</textarea>" in form.get_data(as_text=True)
    response = client.post(f"/study/bank/{qid}/edit", data=keyed({
        "organisation_id": world.branch_a.id, "kind": "true_false", "stem": "支架初撑力不得低于规定值。",
        "true_false_answer": "T", "difficulty": 4, "tags": "安全生产；煤矿安全规程"}))
    assert response.status_code == 302
    db.session.expire_all()
    question = db.session.get(Question, qid)
    assert (question.kind, question.answer, question.options) == ("true_false", ["T"], [])
    assert set(question.tag_names) == {"安全生产", "煤矿安全规程"}


def test_retire_and_restore(client, world, questions):
    login(client, world.users.secretary)
    qid = questions["a"].id
    assert client.post(f"/study/bank/{qid}/retire").status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, qid).retired_at is not None
    active = client.get("/study/bank/")
    assert active.status_code == 200
    assert "一队题" not in active.get_data(as_text=True) and "党委题" in active.get_data(as_text=True)
    assert "一队题" in client.get("/study/bank/?status=retired").get_data(as_text=True)
    assert client.post(f"/study/bank/{qid}/restore").status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, qid).retired_at is None
    assert _count() == 3  # never deleted


def test_filters_by_kind_tag_difficulty_and_text(client, world):
    make_question(world.branch_a, stem="安全第一，预防为主", tags=["安全生产"], difficulty=1)
    make_question(world.branch_a, kind="true_false", stem="党员必须履行义务", answer="对", tags=["党章党规"])
    make_question(world.branch_a, kind="fill", stem="入党誓词：我志愿加入____", answer="中国共产党",
                  tags=["党章党规"], difficulty=5)
    db.session.commit()
    login(client, world.users.secretary)

    def rows(**params):
        response = client.get("/study/bank/", query_string=params)
        assert response.status_code == 200, params
        return response.get_data(as_text=True).count('data-testid="question-row"')

    assert rows() == 3
    assert rows(kind="true_false") == 1
    assert rows(tag="党章党规") == 2
    assert rows(difficulty=5) == 1
    assert rows(q="预防") == 1
    assert rows(q="预防", kind="fill") == 0


@pytest.mark.parametrize("attack", ["' OR 1=1 --", "\"; DROP TABLE question; --", "%", "_", "\\",
                                    "<script>alert(1)</script>"])
def test_hostile_strings_in_the_bank_search_box(client, world, questions, attack):
    make_question(world.branch_a, stem="百分之百_100% 的安全")
    db.session.commit()
    login(client, world.users.secretary)
    response = client.get("/study/bank/", query_string={"q": attack, "tag": attack, "kind": attack,
                                                       "difficulty": attack, "org": attack})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert page.count('data-testid="question-row"') == 0
    response = client.get("/study/bank/", query_string={"q": attack})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    expected = 1 if attack in ("%", "_") else 0  # % and _ match themselves only, not everything
    assert page.count('data-testid="question-row"') == expected
    assert _count() == 4


def test_stem_is_escaped_on_every_page(client, world):
    question = make_question(world.branch_a, stem="<img src=x onerror=alert(1)>以下正确的是")
    db.session.commit()
    login(client, world.users.secretary)
    for url in ("/study/bank/", f"/study/bank/{question.id}", f"/study/bank/{question.id}/edit"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert "<img src=x" not in page, url
        assert "&lt;img src=x onerror=alert(1)&gt;以下正确的是" in page, url  # shown as text, not dropped
