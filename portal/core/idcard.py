"""Chinese resident ID numbers (GB 11643-1999): validation, derived fields, masking."""

import re
from dataclasses import dataclass
from datetime import date

from portal.core.clock import localnow
from portal.core.exceptions import ValidationError
from portal.core.text import clean_code

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


@dataclass(frozen=True)
class IdInfo:
    """What a valid ID number tells: its normal form, birth date and gender."""

    number: str
    birth_date: date
    gender: str  # "男" or "女"


def check_digit(first17):
    """Return the GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(raw, today=None):
    """Validate an ID number and return IdInfo; raise ValidationError in Chinese."""
    number = _compact_id(raw)
    if not number:
        raise ValidationError("身份证号不能为空")
    if len(number) != 18:
        raise ValidationError("身份证号应为 18 位")
    if not _PATTERN.match(number):
        raise ValidationError("身份证号只能由数字和末位 X 组成")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期不存在") from None
    today = today or localnow().date()
    if birth > today or birth.year < 1900:
        raise ValidationError("身份证号中的出生日期不合理")
    if check_digit(number[:17]) != number[17]:
        raise ValidationError("身份证号校验位错误")
    gender = "男" if int(number[16]) % 2 == 1 else "女"
    return IdInfo(number=number, birth_date=birth, gender=gender)


def normalise_phone(raw):
    """Return an 11-digit mainland mobile number or raise ValidationError."""
    phone = _digits_of_phone(str(raw or ""))
    if not phone:
        raise ValidationError("手机号不能为空")
    if not _PHONE.match(phone):
        raise ValidationError("手机号应为 11 位大陆手机号码")
    return phone


def _digits_of_phone(text):
    """A phone number as typed (full-width, spaces, dashes, +86 or 0086) reduced to its digits."""
    phone = _SEPARATORS.sub("", clean_code(text))
    for prefix in ("+86", "0086"):
        phone = phone.removeprefix(prefix)
    return phone


def looks_like_phone(text):
    """True if the text has the shape of a mainland mobile number, however it is written."""
    return bool(_PHONE.match(_digits_of_phone(text or "")))


def _compact_id(text):
    """An ID number as typed (full-width, spaces, dashes, lower-case x) in its compact form."""
    return _SEPARATORS.sub("", clean_code(text or "")).upper()


def looks_like_id_number(text):
    """True if the text has the shape of an ID number (18 characters, check digit not tested)."""
    return bool(_PATTERN.match(_compact_id(text)))


def canonical_identifier(text):
    """An identifier as typed, in one form: ID-like and phone-like values compacted, else cleaned."""
    text = clean_code(text or "")
    if looks_like_id_number(text):
        return _compact_id(text)
    if looks_like_phone(text):
        return _digits_of_phone(text)
    return text


def mask_identifier(text):
    """An identifier someone typed, as a page or the audit log may show it.

    ID-like and phone-like values (with spaces, dashes, +86, in full width) are masked like the
    roster masks them; anything else keeps its first two characters.
    """
    text = canonical_identifier(text)
    if looks_like_id_number(text):
        return mask_id_number(text)
    if looks_like_phone(text):
        return mask_phone(text)
    return text[:2] + "*" * min(max(len(text) - 2, 0), 8)


def mask_id_number(number):
    """Show the first 4 and last 4 characters: 1101**********1234."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone):
    """Show the first 3 and last 4 digits: 138****5678."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:]
