"""Question bank import and export (.xlsx) in the layout Chinese offices use.

Columns: 题型、题干、选项A…选项F、答案、解析、难度、标签. Like the roster import, a file is
checked row by row first; a clean file is written at once, a file with errors writes nothing
and is kept (encrypted, via core.uploads) so that the user may explicitly import only its valid
rows. That second step re-reads and re-checks the file against the bank as it is then.
"""

import os
import re
from dataclasses import dataclass, field

from portal.core import audit, uploads, xlsx
from portal.core.exceptions import ConflictError, ValidationError
from portal.core.imports import ImportReport, RowError
from portal.extensions import db
from portal.study.models.questions import KIND_LABELS, OPTION_LETTERS, Question, QuestionKind
from portal.study.services import bank

UPLOAD_KIND = "question-imports"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 3000
MAX_EXPORT = 10_000
OPTION_HEADERS = [f"选项{letter}" for letter in OPTION_LETTERS]
HEADERS = ["题型", "题干", *OPTION_HEADERS, "答案", "解析", "难度", "标签"]
REQUIRED = ("题型", "题干", "答案")
HEADER_ALIASES = {
    "题目类型": "题型", "类型": "题型", "试题类型": "题型",
    "题目": "题干", "试题": "题干", "题目内容": "题干", "试题内容": "题干",
    "正确答案": "答案", "参考答案": "答案", "标准答案": "答案",
    "答案解析": "解析", "试题解析": "解析", "题目解析": "解析",
    "难易程度": "难度", "难易度": "难度", "难度等级": "难度",
    "知识点": "标签", "分类": "标签", "题目分类": "标签",
    **{f"{letter}选项": f"选项{letter}" for letter in OPTION_LETTERS},
    **{f"选项{letter.lower()}": f"选项{letter}" for letter in OPTION_LETTERS},
    **{letter: f"选项{letter}" for letter in OPTION_LETTERS},
}
_KNOWN_HEADERS = {**{h: h for h in HEADERS}, **HEADER_ALIASES}
_ORDER = {h: i for i, h in enumerate(HEADERS)}
KIND_WORDS = {
    "单选题": QuestionKind.SINGLE, "单选": QuestionKind.SINGLE, "单项选择题": QuestionKind.SINGLE,
    "单项选择": QuestionKind.SINGLE,
    "多选题": QuestionKind.MULTIPLE, "多选": QuestionKind.MULTIPLE, "多项选择题": QuestionKind.MULTIPLE,
    "多项选择": QuestionKind.MULTIPLE, "不定项选择题": QuestionKind.MULTIPLE,
    "判断题": QuestionKind.TRUE_FALSE, "判断": QuestionKind.TRUE_FALSE,
    "填空题": QuestionKind.FILL, "填空": QuestionKind.FILL,
}
DIFFICULTY_WORDS = {
    "易": 1, "容易": 1, "简单": 1, "较易": 2, "较容易": 2, "较简单": 2, "中": 3, "中等": 3,
    "一般": 3, "适中": 3, "较难": 4, "难": 5, "困难": 5,
}
# clean_question's field -> the column the user fixes.
_FIELD_COLUMNS = {
    "kind": "题型", "stem": "题干", "options": "选项", "answer": "答案", "explanation": "解析",
    "difficulty": "难度", "tags": "标签",
}
FORMULA_MESSAGE = "单元格含公式，请粘贴为数值后再导入"
_TOKEN = re.compile(r"^[0-9a-f]{32}\.xlsx$")


@dataclass
class Report(ImportReport):
    """A question file's report; `questions` holds the valid rows' fields."""

    questions: list = field(default_factory=list, repr=False)

    @property
    def valid(self):
        """How many rows could be written."""
        return len(self.questions)


@dataclass
class Outcome:
    """What an upload led to: the report, how many questions were written, the kept file's token."""

    report: Report
    imported: int = 0
    token: str | None = None


# --- public interface ---------------------------------------------------------------------------

def receive(actor, org_id, file_storage):
    """Check an uploaded file for an organisation's bank: write a clean file at once; keep a bad one.

    A bad file writes nothing; the returned token lets the same user import its valid rows.
    """
    org = bank.managed_organisation(actor, org_id)
    filename = display_name(getattr(file_storage, "filename", ""))
    data = file_storage.read(MAX_UPLOAD_BYTES + 1) if file_storage else b""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError("上传的文件超过了大小上限（5 MB），请拆分后分批导入", field="file")
    report = check_file(org, filename, data)
    if report.ok:
        return Outcome(report, imported=_write(actor, org, report.questions))
    uploads.purge_stale(UPLOAD_KIND)
    return Outcome(report, token=uploads.keep(UPLOAD_KIND, data, "xlsx"))


def accept_valid(actor, org_id, token, filename):
    """Import only the valid rows of a kept file, at the user's explicit request; returns the Report."""
    if not token or not _TOKEN.match(token):
        raise ValidationError("上传的文件已失效，请重新上传", field="file")
    org = bank.managed_organisation(actor, org_id)
    data = uploads.load(UPLOAD_KIND, token)
    try:
        # Removing the kept file claims it: a second click or a second worker finds it gone.
        os.unlink(uploads.path_of(UPLOAD_KIND, token))
    except FileNotFoundError:
        raise ConflictError("该文件已经处理过；如需再次导入，请重新上传") from None
    report = check_file(org, filename, data)
    if not report.questions:
        raise ValidationError("没有可以导入的有效行", field="file")
    _write(actor, org, report.questions)
    return report


def check_file(org, filename, data):
    """Read an .xlsx and check every row against the rules and the bank serving `org`."""
    if xlsx.extension_of(filename) != "xlsx":
        raise ValidationError("仅支持 Excel 表格（.xlsx）；旧版 .xls 或 .csv 请在 Excel 中“另存为” .xlsx", field="file")
    table = xlsx.read_table(filename, data, _KNOWN_HEADERS, MAX_ROWS, multiline=("题干", "解析"))
    missing = [h for h in REQUIRED if h not in table.headers]
    if missing:
        raise ValidationError(f"缺少必填列：{'、'.join(missing)}（请使用题库导入模板）", field="file")
    report = Report(filename=filename, total=len(table.rows))
    checked = []
    for row in table.rows:
        fields, errors = _check_row(row)
        report.errors.extend(errors)
        if fields is not None:
            checked.append((row, fields, bank.fingerprint(fields["kind"], fields["stem"], fields["options"])))
    report.errors.extend(_duplicates(org, checked))
    bad = {e.row for e in report.errors}
    report.questions = [fields for row, fields, _p in checked if row.number not in bad]
    report.errors.sort(key=lambda e: (e.row, _ORDER.get(e.column, 99 if e.column != "选项" else 3)))
    return report


def template_xlsx():
    """An empty import sheet with the headers, and a 说明 sheet explaining every column."""
    notes = [
        "题库导入说明",
        "1. 请在第一个工作表中填写，第一行为列名，不要修改列名；列的顺序可以调整，多余的列会被忽略。",
        "2. 题型、题干、答案必须填写。",
        "3. 题型：单选题、多选题、判断题、填空题（也可写 单选、多选、判断、填空）。",
        "4. 选项A…选项F：单选题、多选题至少填写 2 个选项，须从选项A起连续填写；判断题、填空题不填选项。",
        "5. 答案：单选题填一个字母，如 B；多选题填两个及以上字母，如 ACD、A,C,D 或 A、C、D。",
        "   判断题填 对 或 错（也可写 正确/错误、√/×）。",
        "   填空题：多个空之间用竖线 | 分隔，同一个空的几种正确写法用斜杠 / 分隔，",
        "   例如“党的领导/党的全面领导|人民”表示两个空：第一空答“党的领导”或“党的全面领导”均算对，第二空答“人民”。",
        "   填空题判分时忽略空格、全角半角和英文大小写。",
        "6. 解析：答题后显示给学员，可不填。",
        "7. 难度：1 到 5 的数字，或 易、较易、中、较难、难；不填为 3（中）。",
        "8. 标签：多个标签用顿号、逗号或分号分隔，如“党章党规、三会一课”；每个标签不超过 30 个字。",
        f"9. 题干不超过 {bank.MAX_STEM} 字，每个选项不超过 {bank.MAX_OPTION} 字，"
        f"解析不超过 {bank.MAX_EXPLANATION} 字。",
        "10. 请不要使用公式；从其他表格复制时请选择“只粘贴数值”。",
        f"11. 每个文件最多 {MAX_ROWS} 题、不超过 5 MB。与题库中已有题目或文件中其他行重复的题目会被指出。",
        "12. 整个文件全部正确才会写入；有错误时不会写入任何数据，可修改后重新上传，或明确选择“仅导入有效行”。",
    ]
    return xlsx.write_workbook(HEADERS, [], title="题库", widths=_WIDTHS, extra_sheets=[("说明", notes)])


def export_xlsx(actor, **filters):
    """The questions the actor sees (as filtered on the list) in the import layout (BytesIO)."""
    stmt = bank.filtered_select(actor, **filters).limit(MAX_EXPORT)
    rows = [_export_row(q) for q in db.session.scalars(stmt.order_by(None).order_by(Question.id))]
    return xlsx.write_workbook(HEADERS, rows, title="题库", widths=_WIDTHS, extra_sheets=[("说明", [
        "本表与题库导入模板格式相同，修改后可直接导入（已有的相同题目会被指出，不会重复导入）。"])])


_WIDTHS = [8, 50, 18, 18, 18, 18, 12, 12, 10, 40, 6, 20]


def answer_cell(kind, answer):
    """The 答案 cell for a stored key: ACD, 对/错, or blanks joined by | with alternatives by /."""
    if kind == QuestionKind.TRUE_FALSE:
        return "对" if answer == ["T"] else "错"
    if kind == QuestionKind.FILL:
        return "|".join("/".join(alternatives) for alternatives in answer)
    return "".join(answer)


def _export_row(question):
    options = list(question.options) + [""] * (len(OPTION_LETTERS) - len(question.options))
    return [KIND_LABELS[QuestionKind(question.kind)], question.stem, *options,
            answer_cell(question.kind, question.answer), question.explanation, question.difficulty,
            "、".join(question.tag_names)]


# --- checking rows -------------------------------------------------------------------------------

def _check_row(row):
    """(clean fields or None, errors) for one data row."""
    errors = []

    def fail(column, message, raw=None):
        errors.append(RowError(row.number, column, message, _text(raw)[:60]))

    values = {h: row.values.get(h) for h in HEADERS}
    for header in sorted(row.formulas, key=_ORDER.get):
        fail(header, FORMULA_MESSAGE, values[header])
        values[header] = None
    kind_text = _text(values["题型"])
    kind = KIND_WORDS.get(kind_text.replace(" ", ""))
    if "题型" not in row.formulas:
        if not kind_text:
            fail("题型", "题型不能为空")
        elif kind is None:
            fail("题型", "题型应为 单选题、多选题、判断题 或 填空题", kind_text)
    for header in ("题干", "答案"):
        if values[header] is None and header not in row.formulas:
            fail(header, f"{header}不能为空")
    difficulty = _difficulty(values["难度"], fail)
    if errors:
        return None, errors
    try:
        fields = bank.clean_question(
            kind, _text(values["题干"]), [_text(values[h]) for h in OPTION_HEADERS], _text(values["答案"]),
            _text(values["解析"]), difficulty, _text(values["标签"]),
        )
    except ValidationError as error:
        column = _FIELD_COLUMNS.get(error.field, "")
        raw = values.get(column) if column in values else None
        fail(column, error.message, raw if column != "题干" else None)
        return None, errors
    return fields, errors


def _difficulty(raw, fail):
    if raw is None:
        return 3
    text = _text(raw)
    if text in DIFFICULTY_WORDS:
        return DIFFICULTY_WORDS[text]
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    fail("难度", "难度应为 1 到 5，或 易、较易、中、较难、难", raw)
    return None


def _duplicates(org, checked):
    """Rows repeating an earlier row of the file, or a question already in the bank serving `org`."""
    errors, first = [], {}
    for row, _fields, print_ in checked:
        seen = first.setdefault(print_, row)
        if seen is not row:
            errors.append(RowError(row.number, "题干", f"与第 {seen.number} 行的题目重复",
                                   _text(row.values.get("题干"))[:60]))
    existing = bank.existing_fingerprints(org, [p for _r, _f, p in checked])
    for row, _fields, print_ in checked:
        same = existing.get(print_)
        if same is not None and first[print_] is row:
            state = "，已停用" if same.retired_at else ""
            errors.append(RowError(row.number, "题干", f"题库中已有相同的题目（第 {same.id} 号题{state}）",
                                   _text(row.values.get("题干"))[:60]))
    return errors


def _write(actor, org, questions):
    for fields in questions:
        bank.build_question(org, fields, actor)
    db.session.flush()
    audit.record("question_imported", target=org, detail=f"导入题目 {len(questions)} 道", actor=actor)
    return len(questions)


# --- values -----------------------------------------------------------------------------------

def _text(value):
    """A cell as trimmed text: whole numbers lose '.0'; an export's guard quote before = + - @ goes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "对" if value else "错"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(xlsx.FORMULA_TRIGGERS):
        text = text[1:]
    return text


def display_name(filename):
    """The uploaded file's own name (no directories, no control characters), for display."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] or "未命名文件"
