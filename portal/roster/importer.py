"""Roster import: check an uploaded sheet row by row, then write it with one bulk insert.

An upload is first *staged*: every row is checked and the file is kept (encrypted) with
a pending ImportBatch. A clean file is committed at once; a file with errors is written
only if the user explicitly accepts its valid rows. Commit re-reads and re-checks the
file against the database as it is then, so nothing checked earlier is trusted.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import g, has_app_context
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.core import audit, cache, crypto, uploads, xlsx
from portal.core.clock import utcnow
from portal.core.exceptions import ConflictError, NotFound, PermissionDenied, ValidationError
from portal.core.idcard import normalise_phone, parse_id_number
from portal.core.imports import ImportReport, RowError
from portal.core.text import clean_code, clean_filename
from portal.extensions import db
from portal.roster import dates, import_errors, services
from portal.roster.models import ImportBatch, Organisation, OrgKind, Person, PoliticalStatus, Unit

MAX_ROWS = 20_000
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# Rows per IN (...) look-up: a few queries for a whole file, within every backend's bind limit.
LOOKUP_CHUNK = 5000
UPLOAD_KIND = "imports"


@dataclass(frozen=True)
class Column:
    """One expected column: its header, whether it must be present, a hint for the user."""

    header: str
    required: bool = False
    hint: str = ""


COLUMNS = [
    Column("姓名", True),
    Column("性别", True, "男 / 女，须与身份证号一致"),
    Column("身份证号", True, "18 位；请把该列设为“文本”格式"),
    Column("手机号", True, "11 位手机号码"),
    Column("工号", False, "可不填；填写则不能重复"),
    Column("单位", True, "须为系统中已有的单位（队组 / 科室）"),
    Column("工种"),
    Column("技能等级"),
    Column("政治面貌", True, "正式党员、预备党员、入党积极分子、群众"),
    Column("入党时间", False, "正式党员、预备党员必填，如 2010-07-01；只知道年月的可写 2010-07 或 2010年7月"),
    Column("所属党支部", False, "可不填，默认为单位所属党支部"),
    Column("状态", False, "在岗、调出、退休，默认在岗"),
]
HEADERS = [c.header for c in COLUMNS]
# Other spellings of the headers that offices' own sheets use.
HEADER_ALIASES = {
    "身份证": "身份证号", "身份证号码": "身份证号", "公民身份号码": "身份证号",
    "手机": "手机号", "手机号码": "手机号", "联系电话": "手机号",
    "职工编号": "工号", "员工编号": "工号", "所在单位": "单位", "单位名称": "单位", "队组": "单位",
    "入党日期": "入党时间", "党支部": "所属党支部", "所在党支部": "所属党支部", "人员状态": "状态",
}
_KNOWN_HEADERS = {**{h: h for h in HEADERS}, **HEADER_ALIASES}
_ORDER = {h: i for i, h in enumerate(HEADERS)}
_MASKED = {"身份证号", "手机号"}
# Fields of services.person_fields -> the column a user would fix.
_FIELD_COLUMNS = {
    "name": "姓名", "gender": "性别", "id_number": "身份证号", "phone": "手机号",
    "employee_no": "工号", "unit_id": "单位", "political_status": "政治面貌",
    "joined_party_on": "入党时间", "status": "状态", "group_id": "所属党支部",
}
# Spellings Chinese offices commonly use for 政治面貌.
_POLITICAL_ALIASES = {
    "中共党员": PoliticalStatus.FULL_MEMBER, "党员": PoliticalStatus.FULL_MEMBER,
    "中共预备党员": PoliticalStatus.PROBATIONARY, "积极分子": PoliticalStatus.ACTIVIST,
}
_TEXT_LIMITS = {"工号": 20, "工种": 40, "技能等级": 20}
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
JOINED_DATE_MESSAGE = "入党时间不是有效日期，应写成 2010-07-01 这样的日期，或只写年月，如 2010-07、2010年7月"
FORMULA_MESSAGE = "单元格含公式，请粘贴为数值后再导入"
NUMERIC_ID_MESSAGE = "身份证号被 Excel 当成了数字（科学计数法，后几位已丢失），请把该列设为“文本”格式后重新填写"


@dataclass
class Report(ImportReport):
    """A roster file's report; `people` holds the valid rows' values, `table` the file as read."""

    shown_limit = 500

    people: list = field(default_factory=list, repr=False)
    table: xlsx.Table | None = field(default=None, repr=False)


# --- public interface ---------------------------------------------------------------------------

def stage(actor, file_storage):
    """Check an uploaded file, keep it, and record a pending ImportBatch; returns (batch, report)."""
    _require_import(actor)
    filename = _display_name(file_storage.filename)
    data = file_storage.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError("上传的文件超过了大小上限（8 MB），请拆分后重新上传", field="file")
    report = check_file(actor, filename, data)
    expire_stale_batches()
    stored_name = uploads.keep(UPLOAD_KIND, data, xlsx.extension_of(filename))
    batch = ImportBatch(
        user_id=actor.id, filename=filename, stored_name=stored_name, status="pending",
        total_rows=report.total, error_rows=report.error_rows, imported_rows=0,
    )
    db.session.add(batch)
    db.session.flush()
    return batch, report


def receive(actor, file_storage):
    """Stage an upload and, if every row is valid, write it at once; returns (batch, report)."""
    batch, report = stage(actor, file_storage)
    if report.ok:
        commit(actor, batch.id)
    return batch, report


def commit(actor, batch_id, only_valid=False):
    """Re-check a staged file and write its rows (all, or with only_valid the valid ones)."""
    _require_import(actor)
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("导入记录不存在，请重新上传")
    if batch.user_id != actor.id:
        raise PermissionDenied("只能确认您本人上传的文件")
    # Claim the batch atomically so two clicks (or two workers) cannot import it twice.
    claimed = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == "pending")
        .values(status="imported")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise ConflictError("该文件已经处理过；如需再次导入，请重新上传")
    report = check_file(actor, batch.filename, uploads.load(UPLOAD_KIND, batch.stored_name))
    if report.errors and not only_valid:
        raise ValidationError(
            f"文件中有 {report.error_rows} 行错误，未写入任何数据；请修改后重新上传", field="file"
        )
    if not report.people:
        raise ValidationError("没有可以导入的有效行", field="file")
    _insert_people(report.people)
    db.session.refresh(batch)
    batch.total_rows = report.total
    batch.error_rows = report.error_rows
    batch.imported_rows = len(report.people)
    audit.record(
        "roster_imported", target=batch, actor=actor,
        detail=f"文件 {batch.filename}：导入 {batch.imported_rows} 人，跳过 {batch.error_rows} 行",
    )
    uploads.discard(UPLOAD_KIND, batch.stored_name)
    return batch


def error_workbook(actor, batch_id):
    """Every refused row of a checked file, in the user's own columns plus 错误原因 (BytesIO).

    The file kept for the batch is checked again, so the sheet lists what is wrong now; the
    user fixes the rows in Excel and uploads the sheet again (the added columns are ignored).
    """
    _require_import(actor)
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.user_id != actor.id:
        raise NotFound("导入记录不存在，请重新上传")
    if batch.status != "pending":
        raise ConflictError("该文件已经处理过或已过期，请重新上传")
    report = check_file(actor, batch.filename, uploads.load(UPLOAD_KIND, batch.stored_name))
    spellings = {xlsx.normalise_header(spelling) for spelling, header in _KNOWN_HEADERS.items()
                 if header in _KEY_COLUMNS}
    return import_errors.workbook(report.table, report.errors, spellings), batch


def template_xlsx():
    """An empty import sheet (BytesIO): the headers (required ones starred) and instructions."""
    headers = [c.header + ("*" if c.required else "") for c in COLUMNS]
    widths = [10, 6, 22, 15, 10, 14, 12, 10, 14, 12, 18, 8]
    text_columns = [HEADERS.index(h) for h in ("身份证号", "手机号", "工号")]
    notes = [
        "填写说明",
        "1. 请在第一个工作表中填写，第一行为列名，不要修改列名；列的顺序可以调整，多余的列会被忽略。",
        "2. 带 * 的列必须填写。",
        *[f"· {c.header}：{c.hint}" for c in COLUMNS if c.hint],
        "3. 身份证号、手机号、工号列已设为文本格式；从其他表格粘贴时请选择“只粘贴数值”，不要粘贴公式。",
        f"4. 每个文件最多 {MAX_ROWS} 行；整个文件全部正确才会写入，有错误时不会写入任何数据。",
    ]
    return xlsx.write_workbook(
        headers, [], title="花名册", widths=widths, text_columns=text_columns,
        extra_sheets=[("填写说明", notes)],
    )


def check_file(actor, filename, data):
    """Read a file and check every row against the rules and the database; returns a Report."""
    table = _read_table(filename, data)
    missing = [c.header for c in COLUMNS if c.required and c.header not in table.headers]
    if missing:
        raise ValidationError(f"缺少必填列：{'、'.join(missing)}", field="file")
    checker = _RowChecker(actor, table.rows)
    report = Report(filename=filename, total=len(table.rows), table=table)
    checked = [(row, *checker.check(row)) for row in table.rows]
    for _row, _values, _keys, errors in checked:
        report.errors.extend(errors)
    report.errors.extend(_duplicates_in_file(checked))
    report.errors.extend(_duplicates_in_roster(checked))
    bad_rows = {e.row for e in report.errors}
    report.people = [values for row, values, _k, _e in checked if values and row.number not in bad_rows]
    report.errors.sort(key=lambda e: (e.row, _ORDER.get(e.column, 99)))
    return report


def _read_table(filename, data):
    """Parse a file once per request: a clean upload is staged and committed in one request.

    Parsing depends on the bytes alone, so reusing it is safe; the rules and the database
    checks still run again in commit.
    """
    if not has_app_context():
        return xlsx.read_table(filename, data, _KNOWN_HEADERS, MAX_ROWS)
    cache = g.setdefault("roster_import_tables", {})
    key = (xlsx.extension_of(filename), MAX_ROWS, hashlib.sha256(data).hexdigest())
    if key not in cache:
        cache.clear()
        cache[key] = xlsx.read_table(filename, data, _KNOWN_HEADERS, MAX_ROWS)
    return cache[key]


# --- checking rows -------------------------------------------------------------------------------

class _RowChecker:
    """Per-row rules, with the file's units and branches looked up once."""

    def __init__(self, actor, rows):
        self.actor = actor
        unit_names = {_text(r.values.get("单位")) for r in rows} - {""}
        branch_names = {_text(r.values.get("所属党支部")) for r in rows} - {""}
        self.units = {}
        for chunk in _chunks(sorted(unit_names)):
            found = db.session.scalars(
                select(Unit).options(selectinload(Unit.branch)).where(Unit.name.in_(chunk))
            )
            self.units.update({u.name: u for u in found})
        self.branches = {}
        for chunk in _chunks(sorted(branch_names)):
            found = db.session.scalars(
                select(Organisation).where(Organisation.kind == OrgKind.BRANCH, Organisation.name.in_(chunk))
            )
            for org in found:
                self.branches.setdefault(org.name, []).append(org)
        self._allowed = {}

    def may_import(self, branch):
        """True if the actor holds roster.import on the branch (cached per branch)."""
        if branch.id not in self._allowed:
            self._allowed[branch.id] = self.actor.has_permission("roster.import", branch)
        return self._allowed[branch.id]

    def check(self, row):
        """(person column values or None, duplicate keys, errors) for one row."""
        errors, fields, keys = [], {}, {}

        def fail(column, message, raw=None):
            errors.append(RowError(row.number, column, message, _shown(column, raw)))

        values = {h: row.values.get(h) for h in HEADERS}
        for header in sorted(row.formulas, key=_ORDER.get):
            fail(header, FORMULA_MESSAGE, values[header])
            values[header] = None
        for column in COLUMNS:
            if column.required and values[column.header] is None and column.header not in row.formulas:
                fail(column.header, f"{column.header}不能为空")
        self._check_identity(values, fields, keys, fail)
        self._check_texts(values, fields, keys, fail, row.month_dates)
        self._check_organisation(values, fields, fail)
        if errors:
            return None, keys, errors
        try:
            person = services.person_fields(**fields)
        except ValidationError as error:
            column = _FIELD_COLUMNS.get(error.field, "")
            fail(column, error.message, values.get(column))
            return None, keys, errors
        return person, keys, errors

    def _check_identity(self, values, fields, keys, fail):
        raw_id = values["身份证号"]
        if raw_id is not None:
            if isinstance(raw_id, int | float) or _SCIENTIFIC.match(_text(raw_id)):
                fail("身份证号", NUMERIC_ID_MESSAGE, raw_id)
            else:
                try:
                    info = parse_id_number(_text(raw_id))
                except ValidationError as error:
                    fail("身份证号", error.message, raw_id)
                else:
                    fields["id_number"] = info.number
                    keys["身份证号"] = crypto.blind_index("id", info.number)
        raw_phone = values["手机号"]
        if raw_phone is not None:
            try:
                phone = normalise_phone(_text(raw_phone))
            except ValidationError as error:
                fail("手机号", error.message, raw_phone)
            else:
                fields["phone"] = phone
                keys["手机号"] = crypto.blind_index("phone", phone)
        gender = _text(values["性别"]).removesuffix("性")
        if values["性别"] is not None:
            if gender in ("男", "女"):
                fields["gender"] = gender
            else:
                fail("性别", "性别应为“男”或“女”", values["性别"])

    def _check_texts(self, values, fields, keys, fail, row_month_dates=frozenset()):
        for header, limit in _TEXT_LIMITS.items():
            if len(_text(values[header])) > limit:
                fail(header, f"{header}不能超过 {limit} 个字符", values[header])
        fields["name"] = _text(values["姓名"])
        fields["employee_no"] = clean_code(_text(values["工号"])) or None
        if fields["employee_no"]:
            keys["工号"] = fields["employee_no"]
        fields["job_type"] = _text(values["工种"])
        fields["skill_level"] = _text(values["技能等级"])
        political = _text(values["政治面貌"])
        fields["political_status"] = _POLITICAL_ALIASES.get(political, political)
        fields["status"] = _text(values["状态"]) or None
        try:
            joined = dates.parse_date(values["入党时间"], allow_month=True)
            if joined is not None and "入党时间" in row_month_dates:
                joined = dates.month_only(joined.value)
        except ValueError:
            fail("入党时间", JOINED_DATE_MESSAGE, values["入党时间"])
        else:
            if joined is not None:
                fields["joined_party_on"], fields["joined_party_precision"] = joined

    def _check_organisation(self, values, fields, fail):
        unit_name = _text(values["单位"])
        unit = self.units.get(unit_name)
        if unit_name and unit is None:
            fail("单位", f"单位“{unit_name}”不存在，请先在组织管理中添加该单位", unit_name)
        branch_name = _text(values["所属党支部"])
        branch = None
        if branch_name:
            candidates = self.branches.get(branch_name, [])
            if len(candidates) > 1:
                candidates = [b for b in candidates if self.may_import(b)] or candidates
            if not candidates:
                fail("所属党支部", f"党支部“{branch_name}”不存在", branch_name)
            elif len(candidates) > 1:
                fail("所属党支部", f"有多个名为“{branch_name}”的党支部，无法确定，请联系管理员", branch_name)
            else:
                branch = candidates[0]
        if unit is None:
            return
        fields["unit"] = unit
        fields["branch"] = branch
        target = branch or unit.branch
        if target is not None and not self.may_import(target):
            column = "所属党支部" if branch else "单位"
            fail(column, f"您没有向“{target.name}”导入人员的权限", branch_name or unit_name)


_KEY_COLUMNS = ("身份证号", "手机号", "工号")


def _duplicates_in_file(checked):
    """Rows sharing an ID, phone or employee number: both rows are marked, naming each other."""
    errors, first_seen = [], {}
    for row, _values, keys, _errors in checked:
        for column, key in keys.items():
            seen = first_seen.setdefault((column, key), row)
            if seen is row:
                continue
            errors.append(RowError(row.number, column, f"与第 {seen.number} 行的{column}重复",
                                   _shown(column, row.values.get(column))))
            errors.append(RowError(seen.number, column, f"与第 {row.number} 行的{column}重复",
                                   _shown(column, seen.values.get(column))))
    return errors


def _duplicates_in_roster(checked):
    """Rows whose ID, phone or employee number is already on the roster, in a few IN queries."""
    wanted = {column: {keys[column] for _r, _v, keys, _e in checked if column in keys}
              for column in _KEY_COLUMNS}
    attributes = {"身份证号": Person.id_hash, "手机号": Person.phone_hash, "工号": Person.employee_no}
    existing = {column: set() for column in _KEY_COLUMNS}
    for column, attribute in attributes.items():
        for chunk in _chunks(sorted(wanted[column])):
            existing[column].update(db.session.scalars(select(attribute).where(attribute.in_(chunk))))
    errors = []
    for row, _values, keys, _errors in checked:
        for column, key in keys.items():
            if key in existing[column]:
                errors.append(RowError(row.number, column, f"花名册中已有相同{column}的人员",
                                       _shown(column, row.values.get(column))))
    return errors


# --- values -----------------------------------------------------------------------------------

def _text(value):
    """A cell value as trimmed text ('' for empty); whole numbers lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _shown(column, raw):
    """The value as a report may show it: ID and phone numbers masked."""
    if isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= 1e15):
        text = repr(raw)  # keep 1.10101199003077e+17 recognisable as what Excel did
    else:
        text = _text(raw)
    if column not in _MASKED or not text:
        return text[:60]
    if len(text) >= 15:
        return text[:4] + "*" * (len(text) - 8) + text[-4:]
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return text[:2] + "*" * (len(text) - 2)


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start:start + LOOKUP_CHUNK]


# --- writing and files --------------------------------------------------------------------------

def _insert_people(people):
    """Write every row with one executemany INSERT; a unique clash means a concurrent import."""
    rows = []
    for values in people:
        row = {k: v for k, v in values.items() if k not in ("unit", "branch", "group")}
        row["unit_id"] = values["unit"].id
        row["branch_id"] = values["branch"].id
        row["group_id"] = values["group"].id if values.get("group") else None
        rows.append(row)
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Person), rows)
            cache.bump("roster")  # a bulk INSERT passes no flush: cached roster pages learn of it here
    except IntegrityError:
        raise ConflictError("部分人员刚刚已被其他操作写入花名册，请重新上传核对") from None


def _require_import(actor):
    if not actor.has_permission("roster.import"):
        raise PermissionDenied("您没有导入花名册的权限")


def _display_name(filename):
    """The uploaded file's own name (no directories, no control characters), for display."""
    return clean_filename((filename or "").replace("\\", "/").rsplit("/", 1)[-1], fallback="未命名文件")


def stored_path(batch):
    """Where a batch's uploaded file is kept (it is removed once the batch is imported)."""
    return uploads.path_of(UPLOAD_KIND, batch.stored_name)


def expire_stale_batches():
    """Mark pending batches older than a day expired and delete their files (and any orphans)."""
    cutoff = utcnow() - uploads.STALE_AFTER
    db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.status == "pending", ImportBatch.created_at < cutoff)
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )
    return uploads.purge_stale(UPLOAD_KIND)

