from datetime import date, datetime

import pytest

from yinhui.roster import (
    FieldError,
    GridRef,
    excel_serial_to_date,
    parse_category,
    parse_date,
    parse_flag,
    parse_gender,
    parse_grid_refs,
    parse_phone,
    parse_phones,
    parse_role,
    parse_status,
)

TODAY = date(2026, 1, 1)


def error_of(parser, value, **kwargs) -> FieldError:
    with pytest.raises(FieldError) as caught:
        parser(value, **kwargs)
    return caught.value


# -- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1938-05-01",
        "1938-5-1",
        "1938/5/1",
        "1938/05/01",
        "1938.5.1",
        "1938年5月1日",
        "1938年05月01日",
        "1938 年 5 月 1 日",
        "1938年5月1",
        "19380501",
        "１９３８－０５－０１",  # typed with a full-width input method
        "1938-05-01 00:00:00",
        date(1938, 5, 1),
        datetime(1938, 5, 1, 0, 0),
        14001,  # Excel serial
        14001.0,
        14001.75,  # serial with a time of day
        "14001",
        "14001.0",
    ],
)
def test_date_forms(value):
    assert parse_date(value, today=TODAY) == date(1938, 5, 1)


@pytest.mark.parametrize(
    "serial, expected",
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),  # after Excel's fictitious 1900-02-29
        (25569, date(1970, 1, 1)),  # the Unix epoch, a well-known anchor
        (45658, date(2025, 1, 1)),
    ],
)
def test_excel_serials(serial, expected):
    assert excel_serial_to_date(serial) == expected


@pytest.mark.parametrize("serial", [0, -3, 60, 3_000_000, float("nan")])
def test_invalid_excel_serials(serial):
    assert error_of(excel_serial_to_date, serial).code == "date_serial"


@pytest.mark.parametrize("value", ["1938-02-30", "1938/13/1", "1938年2月29日", "19380230"])
def test_impossible_dates(value):
    assert error_of(parse_date, value, today=TODAY).code == "date_impossible"


@pytest.mark.parametrize(
    "value", ["1938-5/1", "38-5-1", "五月一日", "1938年5月", "May 1, 1938", "1938-05-01x"]
)
def test_unrecognised_dates(value):
    assert error_of(parse_date, value, today=TODAY).code == "date_format"


@pytest.mark.parametrize("value", ["1899-12-31", "2026-01-02", date(2030, 1, 1)])
def test_dates_outside_1900_to_today(value):
    problem = error_of(parse_date, value, today=TODAY)
    assert problem.code == "date_range"
    assert "2026-01-01" in problem.message("zh")


def test_empty_date_is_required():
    assert error_of(parse_date, "").code == "required"


# -- phones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("13912345678", ("13912345678",)),
        (13912345678, ("13912345678",)),  # a number cell
        (13912345678.0, ("13912345678",)),
        ("139 1234 5678", ("13912345678",)),
        ("139-1234-5678", ("13912345678",)),
        ("+86 139 1234 5678", ("13912345678",)),
        ("008613912345678", ("13912345678",)),
        ("0359-7012345", ("0359-7012345",)),
        ("(0359)7012345", ("0359-7012345",)),
        ("（0359）7012345", ("0359-7012345",)),
        ("035 97012345", ("0359-7012345",)),  # separator in the wrong place
        ("03597012345", ("0359-7012345",)),
        ("010-61234567", ("010-61234567",)),
        ("010 6123 4567", ("010-61234567",)),
        ("0359-7012345-801", ("0359-7012345-801",)),
        ("0359-7012345转801", ("0359-7012345-801",)),
        ("0359-7012345 ext 801", ("0359-7012345-801",)),
        ("13912345678；0359-7012345", ("13912345678", "0359-7012345")),
        ("13912345678,13800001111", ("13912345678", "13800001111")),
        ("13912345678，13800001111", ("13912345678", "13800001111")),
        ("13912345678、13800001111", ("13912345678", "13800001111")),
        ("13912345678/13800001111", ("13912345678", "13800001111")),
        ("13912345678 0359 7012345", ("13912345678", "0359-7012345")),
        ("", ()),
        (None, ()),
    ],
)
def test_phone_forms(value, expected):
    assert parse_phones(value) == expected


@pytest.mark.parametrize(
    "value, code",
    [
        ("1391234567", "phone_mobile"),  # 10 digits
        ("139123456789", "phone_mobile"),  # 12 digits
        ("12912345678", "phone_mobile"),  # no mobile prefix starts 12
        ("0359-70123", "phone_landline"),  # local number too short
        ("0359-012345678", "phone_landline"),
        ("7012345", "phone_no_area_code"),
        ("无", "phone_invalid"),
        ("13912345678；见备注", "phone_invalid"),
    ],
)
def test_bad_phones(value, code):
    assert error_of(parse_phones, value).code == code


def test_bad_phone_error_names_the_bad_piece_masked():
    problem = error_of(parse_phones, "13912345678；1380000111")
    assert problem.params["piece"] == "1380000111"
    text = problem.message("zh")
    # Ten digits are too few to show 3 + 4 of them: the piece is masked whole.
    assert "「****」" in text and "0000" not in text


def test_single_phone():
    assert parse_phone(" 0359 7012345 ") == "0359-7012345"


# -- enumerations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "parser, value, expected",
    [
        (parse_category, "离休", "lixiu"),
        (parse_category, "离休干部", "lixiu"),
        (parse_category, "LiXiu", "lixiu"),
        (parse_category, "退休", "tuixiu"),
        (parse_category, "退休干部", "tuixiu"),
        (parse_category, "Retired", "tuixiu"),
        (parse_category, "tuixiu", "tuixiu"),
        (parse_gender, "男", "M"),
        (parse_gender, "女", "F"),
        (parse_gender, "m", "M"),
        (parse_gender, "Female", "F"),
        (parse_status, "", "active"),
        (parse_status, "在世", "active"),
        (parse_status, "已故", "deceased"),
        (parse_status, "病故", "deceased"),
        (parse_status, "外迁", "moved"),
        (parse_status, "Moved  Away", "moved"),
        (parse_role, "工作人员", "staff"),
        (parse_role, "网格长", "grid"),
        (parse_role, "局长", "leader"),
        (parse_role, "Leader", "leader"),
    ],
)
def test_enumerations(parser, value, expected):
    assert parser(value) == expected


@pytest.mark.parametrize(
    "parser, value, code",
    [
        (parse_category, "在职", "category_invalid"),
        (parse_category, "", "required"),
        (parse_gender, "未知", "gender_invalid"),
        (parse_status, "住院", "status_invalid"),
        (parse_role, "司机", "role_invalid"),
        (parse_flag, "也许", "flag_invalid"),
        (parse_flag, 2, "flag_invalid"),
    ],
)
def test_enumeration_errors(parser, value, code):
    assert error_of(parser, value).code == code


@pytest.mark.parametrize("value", ["是", "Y", "yes", "TRUE", "1", 1, True, "√", "有"])
def test_flags_yes(value):
    assert parse_flag(value) is True


@pytest.mark.parametrize("value", ["否", "n", "No", "false", "0", 0, False, "×", "", None])
def test_flags_no(value):
    assert parse_flag(value) is False


# -- grid references --------------------------------------------------------------------


def test_grid_references():
    assert parse_grid_refs("城关镇；城关镇/东街村、 北关社区 ／ 锦绣花园小区 ,城关镇") == (
        GridRef("城关镇"),
        GridRef("城关镇", "东街村"),
        GridRef("北关社区", "锦绣花园小区"),
    )
    assert parse_grid_refs("") == ()


@pytest.mark.parametrize("value", ["城关镇/东街村/一组", "/东街村", "城关镇/"])
def test_bad_grid_references(value):
    assert error_of(parse_grid_refs, value).code == "grid_ref_invalid"


def test_range_check_follows_the_project_clock():
    from yinhui import clock

    with clock.frozen_at(date(1950, 1, 1)):
        assert error_of(parse_date, "1960-01-01").code == "date_range"
        assert parse_date("1949-12-31") == date(1949, 12, 31)
