"""Masking of ID numbers and mobile numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lianxin.lib.masking import mask_id_number, mask_phone, scrub

id_numbers = st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True)
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
# Free text that cannot itself extend a digit run.
prose = st.text(alphabet="联系人张三，电话：身份证 abc()", max_size=12)


def test_it_masks_id_numbers() -> None:
    assert mask_id_number("510184199001011234") == "510184********1234"
    assert mask_id_number("11010519491231002x") == "110105********002x"
    assert mask_id_number("510184 19900101 1234") == "510184********1234"
    assert mask_id_number("123456789") == "*********"
    assert mask_id_number("") == ""


def test_it_masks_phone_numbers() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("138-1234-1234") == "138****1234"
    assert mask_phone("+8613812341234") == "+86138****1234"
    assert mask_phone("1381234") == "*******"


def test_it_scrubs_ids_and_mobiles_in_text() -> None:
    text = "户主510184199001011234，电话13812341234；代办人身份证11010519491231002x。"
    assert (
        scrub(text) == "户主510184********1234，电话138****1234；代办人身份证110105********002x。"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+8613812341234", "+86138****1234"),
        ("tel:+86 138-1234-1234!", "tel:+86138****1234!"),
        ("call 138 1234 1234 now", "call 138****1234 now"),
        ("电话：１３８１２３４１２３４", "电话：１３８****１２３４"),
        ("tel 138–1234–1234", "tel 138****1234"),  # an input method's en dashes
        ("tel 138\u200b1234\u200b1234", "tel 138****1234"),  # zero-width spaces
        ("id 51018419\u200b900101123X.", "id 510184********123X."),
        ("id 510184－19900101－123X.", "id 510184********123X."),  # full-width hyphens
        ("no sensitive data here", "no sensitive data here"),
    ],
)
def test_it_scrubs_variants(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "订单号1381234123456",  # 13-digit run, not a phone
        "8613812341234",  # 86 without '+' makes a longer run
        "流水号5101841990010112345",  # 19-digit run, not an ID
        "51018419900101123",  # 17 digits only
        "金额12812341234",  # 12 is not a mobile prefix
    ],
)
def test_it_leaves_longer_or_shorter_digit_runs_alone(text: str) -> None:
    assert scrub(text) == text


@given(id_numbers)
def test_it_never_leaks_the_middle_of_an_id(number: str) -> None:
    masked = mask_id_number(number)
    assert masked == number[:6] + "*" * 8 + number[-4:]


@given(mobiles)
def test_it_never_leaks_the_middle_of_a_phone(number: str) -> None:
    assert mask_phone(number) == number[:3] + "****" + number[-4:]


@given(prose, st.one_of(id_numbers, mobiles), prose)
def test_it_scrubs_secrets_wherever_they_appear(before: str, secret: str, after: str) -> None:
    scrubbed = scrub(before + secret + after)
    assert secret not in scrubbed
    masked = mask_id_number(secret) if len(secret) == 18 else mask_phone(secret)
    assert scrubbed == before + masked + after


@given(st.text(max_size=60))
def test_it_only_ever_replaces_with_stars(text: str) -> None:
    scrubbed = scrub(text)
    assert len(scrubbed) <= len(text)
    assert set(scrubbed) - set(text) <= {"*"}
