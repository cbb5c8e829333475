import string

import pytest

from yinhui.roster import TEMPLATES, RowError, mask_id, mask_phone
from yinhui.roster.messages import render, scrub


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_both_languages_take_the_same_parameters(code):
    assert set(TEMPLATES[code]) == {"zh", "en"}
    assert placeholders(TEMPLATES[code]["zh"]) == placeholders(TEMPLATES[code]["en"])


def test_masks():
    assert mask_id("14262319380501001X") == "142623********1X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("0359-7012345") == "035****2345"


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("身份证 14262319380501001X 有误", "19380501001"),
        ("手机 139 1234 5678", "1234"),
        ("座机0359-7012345转8", "7012345"),
    ],
)
def test_scrub_hides_numbers_inside_text(text, hidden):
    assert hidden not in scrub(text)


def test_scrub_keeps_short_numbers_and_cuts_long_text():
    assert scrub("第 3 组 12 号") == "第 3 组 12 号"
    assert scrub("很长" * 30, limit=10) == "很长很长很长很长很…"


def test_raw_values_are_cut_in_messages():
    text = render("category_invalid", {"value": "离" * 100}, "zh")
    assert "离" * 30 not in text


def test_lists_follow_the_message_language():
    error = RowError(9, "身份证号", "id_duplicate", {"others": ("2", "5")})
    assert error.message("zh").endswith("身份证号与第 2、5 行重复")
    assert error.message("en").endswith("same ID number as row 2, 5")


def test_a_code_without_template_still_renders_and_is_scrubbed():
    text = render("no_such_code", {"value": "13912345678"}, "zh")
    assert text.startswith("no_such_code") and "13912345678" not in text
