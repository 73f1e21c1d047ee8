"""Question bank import/export: every bad file writes nothing, a good file imports, export round-trips."""

import io
import re
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.core.audit import AuditEntry
from portal.core.exceptions import ConflictError, ValidationError
from portal.extensions import db
from portal.study.models.questions import Question
from portal.study.services import bank_import
from tests.conftest import login, run_concurrently
from tests.study.test_bank_scoping import make_question

HEADERS = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "难度", "标签"]
GOOD_ROWS = [
    ["单选题", "党的最高领导机关是", "党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央军委",
     None, None, "A", "见《党章》第十条", "易", "党章党规"],
    ["多选", "“三会一课”中的“三会”是指", "支部党员大会", "支部委员会", "党小组会", "职工代表大会",
     None, None, "A、B、C", "", 2, "三会一课，党章党规"],
    ["多选题", "煤矿“一通三防”包括", "通风", "防瓦斯", "防煤尘", "防灭火", "防水", None, "A,B,C,D", "", "中",
     "煤矿安全规程；安全生产"],
    ["判断", "预备党员的预备期为一年。", None, None, None, None, None, None, "√", "", "较易", "党章党规"],
    ["判断题", "井下可以带烟火。", None, None, None, None, None, None, "错误", "严禁", 1, "安全生产"],
    ["填空题", "我国安全生产方针是：安全第一、____、综合治理。", None, None, None, None, None, None,
     "预防为主", "", "较难", "安全生产"],
    ["填空", "党的基本路线的核心内容是“一个中心、____”。", None, None, None, None, None, None,
     "两个基本点/两个基本点。", "", 5, "党章党规"],
]


def xlsx_bytes(rows, headers=HEADERS, formulas=()):
    """An .xlsx of a header row and data rows; `formulas` are (row index, column) cells set to a formula."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for index, column in formulas:
        sheet.cell(row=index + 2, column=headers.index(column) + 1, value="=1+1")
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def upload(client, world, data, name="题库.xlsx", org=None):
    return client.post("/study/bank/import", data={
        "organisation_id": org or world.branch_a.id, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def _count():
    return db.session.scalar(select(func.count()).select_from(Question))


@pytest.fixture()
def secretary(client, world):
    login(client, world.users.secretary)
    return client


def test_a_good_file_imports_every_kind(secretary, world):
    response = upload(secretary, world, xlsx_bytes(GOOD_ROWS))
    assert response.status_code == 302
    questions = {q.stem: q for q in db.session.scalars(select(Question))}
    assert len(questions) == 7
    assert all(q.organisation_id == world.branch_a.id for q in questions.values())
    assert questions["“三会一课”中的“三会”是指"].answer == ["A", "B", "C"]
    assert set(questions["“三会一课”中的“三会”是指"].tag_names) == {"三会一课", "党章党规"}
    assert questions["煤矿“一通三防”包括"].options[4] == "防水"
    assert questions["预备党员的预备期为一年。"].answer == ["T"]
    assert questions["井下可以带烟火。"].answer == ["F"]
    assert questions["井下可以带烟火。"].difficulty == 1
    assert questions["党的最高领导机关是"].difficulty == 1
    assert questions["我国安全生产方针是：安全第一、____、综合治理。"].difficulty == 4
    assert questions["党的基本路线的核心内容是“一个中心、____”。"].answer == [["两个基本点", "两个基本点。"]]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "question_imported"))
    assert entry is not None and entry.actor_id == world.users.secretary.id and "7 道" in entry.detail


def _bad(row_changes):
    rows = [list(r) for r in GOOD_ROWS]
    for index, column, value in row_changes:
        rows[index][HEADERS.index(column)] = value
    return rows


BAD_FILES = {
    "missing stem": (_bad([(0, "题干", None)]), (2, "题干", "题干不能为空")),
    "answer not among options": (_bad([(0, "答案", "E")]), (2, "答案", "选项 E 不在本题的选项中")),
    "single with two answers": (_bad([(0, "答案", "AB")]), (2, "答案", "单选题只能有一个答案")),
    "fewer than two options": (_bad([(0, "选项B", None), (0, "选项C", None), (0, "选项D", None)]),
                               (2, "选项", "单选题至少需要 2 个选项")),
    "gap in options": (_bad([(2, "选项B", None)]), (4, "选项", "选项B为空")),
    "multiple with one answer": (_bad([(1, "答案", "A")]), (3, "答案", "多选题至少要有两个正确答案")),
    "unknown kind": (_bad([(0, "题型", "问答题")]), (2, "题型", "题型应为")),
    "bad true/false": (_bad([(3, "答案", "也许")]), (5, "答案", "判断题的答案应为")),
    "bad difficulty": (_bad([(0, "难度", 9)]), (2, "难度", "难度应为 1 到 5")),
    "duplicate in file": (GOOD_ROWS + [list(GOOD_ROWS[0])], (9, "题干", "与第 2 行的题目重复")),
    "duplicate ignoring spaces and width": (
        GOOD_ROWS + [["单选", " 党的最高领导机关是 ", *GOOD_ROWS[0][2:]]], (9, "题干", "与第 2 行的题目重复")),
    "too long stem": (_bad([(0, "题干", "长" * 1001)]), (2, "题干", "题干不能超过 1000 个字")),
    "too long option": (_bad([(0, "选项A", "长" * 201)]), (2, "选项", "选项A不能超过 200 个字")),
    "too long tag": (_bad([(0, "标签", "标" * 31)]), (2, "标签", "每个标签不超过 30 个字")),
    "missing fill answer": (_bad([(5, "答案", None)]), (7, "答案", "答案不能为空")),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_row_is_reported_and_nothing_is_written(secretary, world, case):
    rows, (row_number, column, message) = BAD_FILES[case]
    response = upload(secretary, world, xlsx_bytes(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "未写入任何数据" in page
    assert f"第 {row_number} 行" in page and message in page, page[page.find("import-errors"):][:1500]
    assert f'<td class="text-nowrap">{column}</td>' in page
    assert _count() == 0


def test_formula_cells_are_refused(secretary, world):
    page = upload(secretary, world, xlsx_bytes(GOOD_ROWS, formulas=[(0, "答案"), (2, "题干")])).get_data(as_text=True)
    assert page.count("单元格含公式") == 2 and "第 2 行" in page and "第 4 行" in page
    assert _count() == 0


def test_duplicate_of_a_question_already_in_the_bank(secretary, world):
    existing = make_question(world.committee, stem="党的最高领导机关是",
                             options=GOOD_ROWS[0][2:6], answer="A")
    db.session.commit()
    page = upload(secretary, world, xlsx_bytes(GOOD_ROWS)).get_data(as_text=True)
    assert f"题库中已有相同的题目（第 {existing.id} 号题）" in page
    assert _count() == 1


@pytest.mark.parametrize("data,name,message", [
    (b"this is a text file, not a spreadsheet" * 10, "题库.xlsx", "请确认文件未被改名"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "题库.xlsx", "旧版 .xls"),
    (b"a,b\n1,2\n", "题库.csv", "仅支持 Excel 表格（.xlsx）"),
    (b"PK\x03\x04" + b"\x00" * (5 * 1024 * 1024), "题库.xlsx", "超过了大小上限（5 MB）"),
    (b"", "题库.xlsx", "上传的文件是空的"),
])
def test_files_that_are_not_a_usable_sheet_get_a_clear_message(secretary, world, data, name, message):
    page = upload(secretary, world, data, name).get_data(as_text=True)
    assert message in page
    assert _count() == 0


def test_empty_sheet_header_only_and_missing_columns(secretary, world):
    empty = Workbook()
    stream = io.BytesIO()
    empty.save(stream)
    assert "表格是空的" in upload(secretary, world, stream.getvalue()).get_data(as_text=True)
    assert "表头下没有数据行" in upload(secretary, world, xlsx_bytes([])).get_data(as_text=True)
    page = upload(secretary, world, xlsx_bytes([["单选", "题干"]], headers=["题型", "题干"])).get_data(as_text=True)
    assert "缺少必填列：答案" in page
    assert _count() == 0


def test_secretary_cannot_import_into_another_branch(secretary, world):
    page = upload(secretary, world, xlsx_bytes(GOOD_ROWS), org=world.branch_b.id).get_data(as_text=True)
    assert "不是有效的选择" in page
    with pytest.raises(Exception, match="您不能管理该组织的题库"):
        bank_import.receive(world.users.secretary, world.branch_b.id,
                            SimpleNamespace(filename="a.xlsx", read=lambda n: xlsx_bytes(GOOD_ROWS)))
    assert _count() == 0


def test_import_only_the_valid_rows_when_asked_and_only_once(secretary, world):
    rows = _bad([(0, "题干", None), (1, "答案", "Z")])
    page = upload(secretary, world, xlsx_bytes(rows)).get_data(as_text=True)
    assert "仅导入 5 道有效题目（跳过 2 行错误）" in page
    assert _count() == 0
    response = secretary.post("/study/bank/import/accept", follow_redirects=True)
    assert "已导入有效行 5 道题，跳过错误行 2 行" in response.get_data(as_text=True)
    assert _count() == 5
    again = secretary.post("/study/bank/import/accept", follow_redirects=True).get_data(as_text=True)
    assert "上传的文件已失效" in again
    assert _count() == 5


def test_a_kept_file_cannot_be_imported_twice_at_once(app, world):
    rows = _bad([(0, "题干", None)])
    with app.test_request_context():
        outcome = bank_import.receive(world.users.secretary, world.branch_a.id,
                                      SimpleNamespace(filename="a.xlsx", read=lambda n: xlsx_bytes(rows)))
    db.session.commit()
    user_id, org_id = world.users.secretary.id, world.branch_a.id

    def accept():
        from portal.accounts.models import User

        report = bank_import.accept_valid(db.session.get(User, user_id), org_id, outcome.token, "a.xlsx")
        db.session.commit()
        return report

    results = run_concurrently(app, accept, 2)
    assert sum(1 for r in results if isinstance(r, bank_import.Report)) == 1
    assert sum(1 for r in results if isinstance(r, ConflictError | ValidationError)) == 1
    assert _count() == 6


def test_a_forged_token_is_refused(world):
    with pytest.raises(ValidationError, match="上传的文件已失效"):
        bank_import.accept_valid(world.users.secretary, world.branch_a.id, "../../etc/passwd", "x.xlsx")


def test_export_then_import_round_trips(client, world):
    login(client, world.users.committee)
    assert upload(client, world, xlsx_bytes(GOOD_ROWS), org=world.branch_a.id).status_code == 302
    make_question(world.branch_a, stem="=HYPERLINK(\"http://x\") 形如公式的题干", answer="C")
    db.session.commit()
    before = sorted((q.kind, q.stem, tuple(q.options), str(q.answer), q.explanation, q.difficulty,
                     tuple(sorted(q.tag_names))) for q in db.session.scalars(select(Question)))
    exported = client.get("/study/bank/export", query_string={"org": world.branch_a.id})
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.max_row == 9
    assert any(str(c.value).startswith("'=HYPERLINK") for c in sheet["B"])  # inert in Excel
    response = upload(client, world, exported.data, name="题库.xlsx", org=world.branch_b.id)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    copied = sorted((q.kind, q.stem, tuple(q.options), str(q.answer), q.explanation, q.difficulty,
                     tuple(sorted(q.tag_names)))
                    for q in db.session.scalars(select(Question).where(Question.organisation_id == world.branch_b.id)))
    assert copied == before


def test_export_follows_the_list_filters(client, world):
    login(client, world.users.secretary)
    upload(client, world, xlsx_bytes(GOOD_ROWS))
    sheet = load_workbook(io.BytesIO(client.get("/study/bank/export?kind=true_false").data)).worksheets[0]
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == ["判断题", "判断题"]
    assert sorted(row[8].value for row in sheet.iter_rows(min_row=2)) == ["对", "错"]


def test_template_has_the_headers_and_an_instructions_sheet(secretary):
    response = secretary.get("/study/bank/import/template")
    book = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    notes = "\n".join(str(row[0].value) for row in book["说明"].iter_rows())
    assert "竖线 |" in notes and "斜杠 /" in notes and "A、C、D" in notes


def test_a_template_filled_in_imports(secretary, world):
    book = load_workbook(io.BytesIO(secretary.get("/study/bank/import/template").data))
    for row in GOOD_ROWS:
        book.worksheets[0].append(row)
    stream = io.BytesIO()
    book.save(stream)
    assert upload(secretary, world, stream.getvalue()).status_code == 302
    assert _count() == len(GOOD_ROWS)



def _upload_form(page):
    return re.search(r'<form method="post" enctype="multipart/form-data" novalidate class="card card-body" '
                     r'data-testid="import-form">(.*?)</form>', page, re.S).group(1)


def test_import_page_upload_form_and_a_post_without_a_file(secretary, world):
    response = secretary.get("/study/bank/import")
    assert response.status_code == 200
    form = _upload_form(response.get_data(as_text=True))
    assert form.index('<label class="form-label" for="organisation_id">导入到</label>') < form.index('for="file"')
    assert f'<option value="{world.branch_a.id}">综采一队党支部</option>' in form
    assert '<label class="form-label" for="file">题库文件（.xlsx）</label>' in form
    assert '<input class="form-control" id="file" name="file" required type="file">' in form
    assert (f'<div class="form-text">只支持 .xlsx；文件不超过 5 MB，最多 {bank_import.MAX_ROWS} 题；'
            '只读取第一个工作表。</div>') in form
    assert "可修改后重新上传，或明确选择只导入有效行。</div>" in form
    assert '<button class="btn btn-party" type="submit">上传并检查</button>' in form
    refused = secretary.post("/study/bank/import", data={"organisation_id": world.branch_a.id},
                             content_type="multipart/form-data")
    assert refused.status_code == 200
    form = _upload_form(refused.get_data(as_text=True))
    assert f'<option selected value="{world.branch_a.id}">' in form
    assert '<div class="invalid-feedback d-block">请选择要导入的文件</div>' in form
    assert _count() == 0


@pytest.mark.parametrize("url", ["/study/bank/import", "/study/bank/new", "/study/daily/answer"])
def test_posts_without_a_csrf_token_are_refused(app, csrf_client, world, url):
    make_question(world.branch_a, stem="CSRF 题", answer="A")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    login(csrf_client, world.users.secretary)
    app.config["WTF_CSRF_ENABLED"] = True
    response = csrf_client.post(url, data={
        "organisation_id": world.branch_a.id, "file": (io.BytesIO(xlsx_bytes(GOOD_ROWS)), "题库.xlsx"),
        "kind": "true_false", "stem": "新题", "true_false_answer": "T", "difficulty": 3, "answer": "A"},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert _count() == 1
