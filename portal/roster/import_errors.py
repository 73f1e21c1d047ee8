"""The refused rows of a roster file as a sheet the user can fix in Excel and upload again.

Each row is handed back as it was uploaded, in the user's own columns (extra ones such as 序号
or 备注 included), with 错误原因 and its original row number added. The importer ignores
those two columns, so the fixed sheet goes straight back in; a sheet that comes back with
errors again gets fresh ones instead of a second pair.
"""

from datetime import datetime, time

from portal.core import xlsx

REASON_HEADER = "错误原因"
ROW_HEADER = "原行号"
_ADDED = {REASON_HEADER, ROW_HEADER}


def reasons_by_row(errors):
    """{row number: "列：问题；列：问题"} for a report's errors."""
    reasons = {}
    for error in errors:
        text = f"{error.column}：{error.message}" if error.column else error.message
        reasons.setdefault(error.row, []).append(text)
    return {row: "；".join(dict.fromkeys(texts)) for row, texts in reasons.items()}


def workbook(table, errors, text_spellings=()):
    """An .xlsx (BytesIO) of every row with an error: 原行号, the user's columns, 错误原因.

    `text_spellings` are normalised headers whose columns hold long digit strings (ID and phone
    numbers): they are formatted as text so Excel keeps them intact when the user edits them.
    """
    reasons = reasons_by_row(errors)
    width = max([len(table.source_headers), *(len(row.cells) for row in table.rows if row.number in reasons)])
    headers = list(table.source_headers) + [None] * (width - len(table.source_headers))
    kept = [i for i, header in enumerate(headers) if xlsx.normalise_header(header) not in _ADDED]
    rows = []
    for row in table.rows:
        if row.number in reasons:
            cells = row.cells + [None] * (width - len(row.cells))
            rows.append([row.number, *(_as_uploaded(cells[i]) for i in kept), reasons[row.number]])
    out_headers = [ROW_HEADER, *(headers[i] for i in kept), REASON_HEADER]
    text_columns = [position + 1 for position, i in enumerate(kept)
                    if xlsx.normalise_header(headers[i]) in set(text_spellings)]
    widths = [8, *(14 for _ in kept), 60]
    return xlsx.write_workbook(out_headers, rows, title="错误行", widths=widths, text_columns=text_columns,
                               marked_columns=[len(out_headers) - 1])


def _as_uploaded(value):
    """A cell as the user wrote it: Excel's date cells come back as dates, not midnight datetimes."""
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date()
    return value
