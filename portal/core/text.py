"""The one rule for text from users: form fields, spreadsheet cells, file names and export cells.

Every form field (core.forms.PortalForm) and every import cell (core.xlsx) passes through
``clean``: Unicode NFC; control characters (C0 and C1, DEL), zero-width characters,
bidirectional controls and noncharacters (U+FFFE …) removed; tab and newline kept only where
the field is multi-line, else turned into spaces; spaces trimmed at both ends. A value that is
empty after cleaning is "", so a required field says it is missing. Numeric and code fields
(ID and phone numbers, employee numbers, check-in codes) use ``clean_code``, which also folds
full-width digits and letters to ASCII (１３８… → 138…), as Chinese input methods type them.
"""

import re
import unicodedata

# C0 controls except tab, newline and carriage return (handled below), DEL and the C1 block.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Zero-width space / non-joiner / joiner, word joiner, invisible operators, BOM, soft hyphen,
# Mongolian vowel separator.
_INVISIBLE = "\u200b-\u200d\u2060-\u2064\ufeff\u00ad\u180e"
# Bidirectional marks, embeddings, overrides and isolates (U+202E shows "gpj.exe" as "exe.jpg").
_BIDI = "\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
# Noncharacters: U+FDD0-U+FDEF and the last two code points of every plane. U+FFFE and U+FFFF are
# not XML characters, so a spreadsheet (a zip of XML) holding one cannot be opened.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}"
                                           for plane in range(0, 0x110000, 0x10000))
_REMOVED = re.compile(f"[{_CONTROLS}{_INVISIBLE}{_BIDI}{_NONCHARACTERS}]")
_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029]")
_SINGLE_LINE_SPACE = re.compile(r"[\t\n]+")
# Characters Windows and browsers refuse in a file name, and the path separators.
_FILENAME_RESERVED = re.compile(r'[\\/:*?"<>|]+')
FILENAME_MAX = 120


def clean(value, multiline=False):
    """`value` under the text rule ("" when nothing visible is left); non-strings pass unchanged."""
    if not isinstance(value, str):
        return value
    text = _LINE_BREAK.sub("\n", unicodedata.normalize("NFC", value))
    text = _REMOVED.sub("", text)
    if not multiline:
        text = _SINGLE_LINE_SPACE.sub(" ", text)
    return text.strip()


def clean_multiline(value):
    """clean() for a field that takes paragraphs (tab and newline kept)."""
    return clean(value, multiline=True)


def clean_code(value):
    """clean() for a number or code: full-width digits, letters and signs folded to ASCII."""
    text = clean(value)
    if not isinstance(text, str):
        return text
    return unicodedata.normalize("NFKC", text).strip()


def clean_filename(name, fallback="附件"):
    """A file name safe to store and to send: the text rule, no path or reserved characters.

    The extension is kept when the name is shortened to FILENAME_MAX characters.
    """
    text = _FILENAME_RESERVED.sub("_", clean(name or "")).strip(" .")
    if not text:
        return fallback
    if len(text) > FILENAME_MAX:
        stem, dot, extension = text.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            text = stem[:FILENAME_MAX - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            text = text[:FILENAME_MAX].rstrip(" .")
    return text or fallback


def for_sheet(value):
    """A string as a spreadsheet cell may hold it: the multi-line rule (openpyxl refuses controls)."""
    return clean(value, multiline=True) if isinstance(value, str) else value


def quoted(name):
    """`name` in Chinese double quotes, its own double quotes turned single: “2026年度‘六大员’评选”.

    GB/T 15834: a quotation inside a quotation takes the single marks, so a title that already
    holds “…” (the default campaign title does) does not end up with two closing marks in a row.
    """
    return "“" + name.replace("“", "‘").replace("”", "’") + "”"
