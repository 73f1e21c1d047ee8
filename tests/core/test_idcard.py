from datetime import date

import pytest

from portal.core.exceptions import ValidationError
from portal.core.idcard import (
    check_digit,
    mask_id_number,
    mask_phone,
    normalise_phone,
    parse_id_number,
)

# A published example number with a correct check digit.
VALID = "11010519491231002X"


def test_valid_number_gives_birth_date_and_gender():
    info = parse_id_number(VALID)
    assert info.birth_date == date(1949, 12, 31)
    assert info.gender == "女"  # the 17th digit, 2, is even


def test_lowercase_x_and_spaces_are_normalised():
    assert parse_id_number(" 11010519491231002x ").number == VALID


def test_check_digit_matches_gb11643():
    assert check_digit(VALID[:17]) == "X"
    # Worked by hand: weighted sum 236, 236 mod 11 = 5, and position 5 of "10X98765432" is 7.
    assert check_digit("14040219850615001") == "7"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "不能为空"),
        ("1101051949123100", "18 位"),
        ("1101051949123100AX", "数字"),
        ("110105194912310021", "校验位"),
        ("110105194902300021", "出生日期不存在"),  # 30 February
        ("110105209912310021", "不合理"),  # born in the future
    ],
)
def test_bad_numbers_are_refused_with_a_chinese_reason(raw, message):
    with pytest.raises(ValidationError) as caught:
        parse_id_number(raw, today=date(2026, 11, 22))
    assert message in caught.value.message


def test_masking_shows_only_the_ends():
    assert mask_id_number("110105194912310021") == "1101**********0021"
    assert mask_phone("13812345678") == "138****5678"


def test_phone_normalisation_and_refusal():
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    with pytest.raises(ValidationError):
        normalise_phone("1381234567")
    with pytest.raises(ValidationError):
        normalise_phone("23812345678")
