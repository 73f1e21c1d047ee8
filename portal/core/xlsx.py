"""Spreadsheet helpers: read an uploaded .xlsx/.csv safely, write an .xlsx safely.

Domain rules stay with the callers; this module only knows files, rows and cells.
"""

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from portal.core import text as text_rule
from portal.core.exceptions import ValidationError

EXTENSIONS = ("xlsx", "csv")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # the mimetype of a download
# An .xlsx is a zip of XML; these bounds are far above any honest roster (20,000 rows
# of a dozen columns is ~20 MB of XML) and far below what would exhaust a worker.
MAX_ZIP_MEMBERS = 1000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_COLUMNS = 200
HEADER_SEARCH_ROWS = 10
# Rows read past the data cap (blank rows included) before giving up on the file.
BLANK_ROW_ALLOWANCE = 10_000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_BINARY_MAGICS = (_ZIP_MAGIC, _OLE_MAGIC, b"MZ", b"%PDF", b"\x7fELF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
_SPACES = re.compile(r"\s+")
_CSV_TEXT = re.compile(r'^\s*=\s*"([^"]*)"\s*$')


def _file_error(message):
    return ValidationError(message, field="file")


@dataclass
class Row:
    """One data row: its number as the user sees it, values by header, formula cells.

    `cells` is the whole row as uploaded (every column, known or not, before the text rule), so
    a report can hand the row back in the user's own columns; `month_dates` names the known
    columns holding a date cell that Excel shows as a year and a month only (2009年2月).
    """

    number: int
    values: dict
    formulas: set = field(default_factory=set)
    cells: list = field(default_factory=list, repr=False)
    month_dates: set = field(default_factory=set)


@dataclass
class Table:
    """The headers found (normalised, in file order), the non-blank data rows, the header row as written."""

    headers: list
    rows: list
    source_headers: list = field(default_factory=list)


def normalise_header(header):
    """A header as written by people: the text rule, then no whitespace and no leading/trailing '*'."""
    if header is None:
        return ""
    return _SPACES.sub("", text_rule.clean(str(header))).strip("*＊")


def extension_of(filename):
    """The lower-case extension of a file name, without the dot ('' if none)."""
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_table(filename, data, known_headers, max_rows, multiline=()):
    """Read an uploaded .xlsx or .csv into a Table of the known columns (ValidationError).

    `known_headers` lists the headers to keep, or maps each accepted spelling to the
    header it stands for ({"身份证号码": "身份证号", ...}); other columns are ignored.
    Every text cell passes through the text rule (core.text); only the `multiline`
    headers keep their line breaks.
    """
    ext = extension_of(filename)
    if ext == "xls":
        raise _file_error("不支持旧版 .xls 格式，请在 Excel 中“另存为” .xlsx 后再导入")
    if ext not in EXTENSIONS:
        raise _file_error("仅支持 .xlsx 或 .csv 格式的表格文件")
    if not data:
        raise _file_error("上传的文件是空的")
    pairs = known_headers.items() if isinstance(known_headers, dict) else ((h, h) for h in known_headers)
    known = {normalise_header(spelling): header for spelling, header in pairs}
    if ext == "xlsx":
        return _records(_xlsx_rows(data), known, max_rows, set(multiline))
    return _records(_csv_rows(data), known, max_rows, set(multiline))


# --- .xlsx -----------------------------------------------------------------------------------

def check_xlsx_container(data):
    """Refuse anything that is not a plain, reasonably sized .xlsx zip, before parsing it."""
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise _file_error("文件设置了打开密码（已加密），请在 Excel 中取消密码后再导入")
        raise _file_error("这是旧版 .xls 文件，请在 Excel 中“另存为” .xlsx 后再导入")
    if not data.startswith(_ZIP_MAGIC):
        raise _file_error("文件不是有效的 Excel 表格（.xlsx），请确认文件未被改名")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error("文件已损坏，无法读取，请在 Excel 中重新保存后再导入") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise _file_error("文件结构异常（内部文件过多），已拒绝处理")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise _file_error("文件不是有效的 Excel 表格（.xlsx），请确认文件未被改名")
    # zipfile never inflates a member past its declared size, so checking the declared
    # sizes here bounds everything openpyxl will do with the archive.
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise _file_error("文件设置了打开密码（已加密），请在 Excel 中取消密码后再导入")
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise _file_error("文件解压后体积异常（疑似压缩炸弹），已拒绝处理")


def _month_only_format(number_format):
    """True for a date format that shows no day (yyyy-mm, yyyy"年"m"月", mmm-yy)."""
    unquoted = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format or "").lower()
    return "m" in unquoted and "y" in unquoted and "d" not in unquoted and "h" not in unquoted


def _xlsx_cell(cell):
    """(value, is_formula, month_only) of one cell."""
    if cell.data_type == "f":
        return cell.value, True, False
    if cell.data_type == "d" or isinstance(cell.value, datetime):
        return cell.value, False, _month_only_format(cell.number_format)
    return cell.value, False, False


def _xlsx_rows(data):
    """Yield each row of the first sheet as [(value, is_formula, month_only), ...]; formulas are not evaluated."""
    check_xlsx_container(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (KeyError, ParseError, ...) on bad files
        raise _file_error("文件已损坏或格式不正确，无法读取，请在 Excel 中重新保存后再导入") from None
    try:
        sheets = book.worksheets
        if not sheets:
            raise _file_error("文件中没有工作表")
        # The first sheet is the data sheet; others (instructions, lists) are ignored.
        sheet = sheets[0]
        # A wrong <dimension> in the file would otherwise cut rows off silently.
        sheet.reset_dimensions()
        # Each row as long as the file makes it (max_col would pad every row to MAX_COLUMNS cells).
        for cells in sheet.iter_rows():
            yield [_xlsx_cell(cell) for cell in cells[:MAX_COLUMNS]]
    except ValidationError:
        raise
    except Exception:
        raise _file_error("文件已损坏或格式不正确，无法读取，请在 Excel 中重新保存后再导入") from None
    finally:
        book.close()


# --- .csv ------------------------------------------------------------------------------------

def decode_text(data):
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 as Excel saves on Chinese Windows."""
    if data.startswith(_BINARY_MAGICS) or b"\x00" in data[:65536]:
        raise _file_error("文件不是有效的 CSV 表格，请确认文件未被改名")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV 后再导入")


def sniff_delimiter(text):
    """Comma or tab, whichever the first line uses more."""
    first = text.split("\n", 1)[0]
    return "\t" if first.count("\t") > first.count(",") else ","


def _csv_cell(value):
    """(value, is_formula, False) for a CSV field; ="0123" is Excel's way to keep text, not a formula."""
    quoted = _CSV_TEXT.match(value)
    if quoted:
        return quoted.group(1), False, False
    return value, value.lstrip().startswith("="), False


def _csv_rows(data):
    """Yield each CSV record as [(value, is_formula, False), ...]; '=…' counts as a formula."""
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        for record in reader:
            yield [_csv_cell(value) for value in record[:MAX_COLUMNS]]
    except csv.Error:
        raise _file_error("CSV 文件格式有误（引号不匹配等），请在 Excel 中重新保存后再导入") from None


# --- rows to records -----------------------------------------------------------------------

def _clean(value, multiline=False):
    if isinstance(value, str):
        return text_rule.clean(value, multiline) or None
    return value


def _find_header(row, known):
    """Map column index -> known header for a candidate header row; None if it is not one."""
    positions = {}
    for index, (value, _formula, _month) in enumerate(row):
        name = known.get(normalise_header(value))
        if name is not None:
            if name in positions.values():
                raise _file_error(f"表头中“{name}”列出现了不止一次")
            positions[index] = name
    return positions if len(positions) >= min(2, len(set(known.values()))) else None


def _records(raw_rows, known, max_rows, multiline):
    """Find the header row, then collect the non-blank data rows keyed by header."""
    positions = None
    source_headers = []
    rows = []
    seen_rows = 0
    non_blank_before_header = 0
    for number, raw in enumerate(raw_rows, start=1):
        seen_rows = number
        if number > max_rows + BLANK_ROW_ALLOWANCE:
            raise _file_error(f"表格行数超过上限 {max_rows} 行（空白行也计算在内），请删除多余的行或拆分后分批导入")
        if positions is None:
            if not any(_clean(value) is not None for value, _f, _m in raw):
                continue
            positions = _find_header(raw, known)
            source_headers = [value for value, _f, _m in raw]
            non_blank_before_header += 1
            if positions is None and non_blank_before_header >= HEADER_SEARCH_ROWS:
                break
            continue
        values, formulas, month_dates = {}, set(), set()
        for index, name in positions.items():
            value, is_formula, month_only = raw[index] if index < len(raw) else (None, False, False)
            values[name] = _clean(value, name in multiline)
            if is_formula:
                formulas.add(name)
            if month_only:
                month_dates.add(name)
        if all(v is None for v in values.values()):
            continue
        cells = [value for value, _f, _m in raw]
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(Row(number=number, values=values, formulas=formulas, cells=cells, month_dates=month_dates))
        if len(rows) > max_rows:
            raise _file_error(f"数据超过上限 {max_rows} 行，请拆分后分批导入")
    if seen_rows == 0 or (positions is None and non_blank_before_header == 0):
        raise _file_error("表格是空的，没有任何内容")
    if positions is None:
        shown = "、".join(list(dict.fromkeys(known.values()))[:4])
        raise _file_error(f"未找到表头行：表格第一行应为列名（如 {shown} 等）")
    if not rows:
        raise _file_error("表头下没有数据行")
    headers = [positions[i] for i in sorted(positions)]
    while source_headers and _clean(source_headers[-1]) is None:
        source_headers.pop()
    return Table(headers=headers, rows=rows, source_headers=source_headers)


# --- writing -----------------------------------------------------------------------------------

def guard_formula(value):
    """Make a string that a spreadsheet would evaluate (=, +, -, @ …) inert with a leading '."""
    if isinstance(value, str) and len(value) > 1 and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_workbook(headers, rows, *, title="Sheet1", widths=None, text_columns=(), extra_sheets=(),
                   marked_columns=()):
    """An .xlsx (BytesIO) of a header row and data rows, streamed in write-only mode.

    Strings are guarded against formula injection; dates get a date format; the header
    row is bold and frozen. `text_columns` (0-based) are formatted as text so Excel keeps
    long digit strings (ID numbers) intact when people type into them. `marked_columns`
    (0-based) stand out in red (an error report's reasons). `extra_sheets` is a list of
    (title, lines) written as one-column sheets (instructions).
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for index in text_columns:
        sheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F2DCDB")
    marked = set(marked_columns)
    marked_font, marked_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="C00000")
    header_cells = []
    for index, text in enumerate(headers):
        cell = WriteOnlyCell(sheet, value=_output_cell(sheet, text))
        cell.font, cell.fill = (marked_font, marked_fill) if index in marked else (bold, fill)
        header_cells.append(cell)
    sheet.append(header_cells)
    red = Font(color="C00000")
    for row in rows:
        sheet.append([_output_cell(sheet, value, red if index in marked else None) for index, value in enumerate(row)])
    for sheet_title, lines in extra_sheets:
        extra = book.create_sheet(sheet_title)
        extra.column_dimensions["A"].width = 100
        for line in lines:
            extra.append([_output_cell(extra, line)])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    return stream


def _output_cell(sheet, value, font=None):
    """What goes into a cell: dates formatted, text guarded against formulas; `font` if given.

    Text passes through the text rule, so no stored value can hold a control character that
    openpyxl would refuse.
    """
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
    else:
        value = guard_formula(text_rule.for_sheet(value))
        if font is None:
            return value
        cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell


def write_csv(headers, rows):
    """A CSV (BytesIO, UTF-8 with a BOM so Excel reads the Chinese) under the same cell rule as write_workbook.

    Every cell passes the text rule and the formula guard; dates are written as ISO dates.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([_csv_output(value) for value in headers])
    for row in rows:
        writer.writerow([_csv_output(value) for value in row])
    return io.BytesIO(b"\xef\xbb\xbf" + text.getvalue().encode("utf-8"))


def _csv_output(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return guard_formula(text_rule.for_sheet(value))
