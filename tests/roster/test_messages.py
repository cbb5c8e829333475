import string

import pytest

from yinhui.i18n import N_, read_catalog, translator
from yinhui.roster import TEMPLATES, RowError
from yinhui.roster.messages import ROW_ONLY_PREFIX, ROW_PREFIX, Term, render, scrub


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.fixture(scope="module")
def zh_catalog():
    return read_catalog("zh_CN")


@pytest.mark.parametrize("code", sorted(TEMPLATES))
def test_every_code_has_a_chinese_text_with_the_same_parameters(code, zh_catalog):
    english = TEMPLATES[code]
    entry = zh_catalog.get(english)
    assert entry is not None, f"{english!r} is not in the zh_CN catalogue"
    assert entry.string and not entry.fuzzy
    assert placeholders(entry.string) == placeholders(english)
    assert translator("zh").gettext(english) == entry.string


@pytest.mark.parametrize("prefix", [ROW_PREFIX, ROW_ONLY_PREFIX])
def test_row_prefixes_are_translated_too(prefix, zh_catalog):
    entry = zh_catalog.get(prefix)
    assert entry is not None and entry.string
    assert placeholders(entry.string) == placeholders(prefix)


def test_english_is_the_message_id():
    assert render("file_missing", {}, "en") == TEMPLATES["file_missing"] == "file does not exist"
    assert render("file_missing", {}, "zh") == "文件不存在"


def test_a_term_is_translated_and_not_scrubbed():
    error = RowError(5, "性别", "gender_mismatch", {"expected": Term(N_("female"))})
    assert error.message("zh") == "第 5 行「性别」：性别与身份证号不符（按身份证号应为女）"
    assert error.message("en") == (
        "row 5, column 性别: gender does not match the ID number (the ID says female)"
    )


def test_an_unknown_language_reads_chinese():
    assert render("id_checksum", {"expected": "X"}, "fr") == "校验位应为 X"
    assert RowError(3, "", "required").message("fr") == "第 3 行：不能为空"


def test_scrub_masks_the_way_everything_else_does():
    # One masking for the whole code base (yinhui.privacy): region and last two of an ID stay.
    assert scrub("身份证 14262319380501001X") == "身份证 142623**********1X"
    assert scrub("手机 13912345678") == "手机 139****5678"


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
