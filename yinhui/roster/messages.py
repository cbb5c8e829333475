"""Message templates (zh and en) for roster problems, and masking of personal numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping

Lang = str  # 'zh' or 'en'

# One template pair per problem code. Placeholders are filled by ``render``; every string
# parameter is scrubbed first, so a raw ID or phone number can never reach a log line.
TEMPLATES: dict[str, dict[Lang, str]] = {
    # -- whole file ------------------------------------------------------------------
    "file_missing": {"zh": "文件不存在", "en": "file does not exist"},
    "file_extension": {
        "zh": "不支持的文件类型「{suffix}」，请另存为 .xlsx 或 .csv",
        "en": "unsupported file type '{suffix}'; save it as .xlsx or .csv",
    },
    "file_decode": {
        "zh": "无法识别文件编码（已尝试 UTF-8 和 GB18030），请另存为 UTF-8 编码的 CSV",
        "en": "cannot decode the file (tried UTF-8 and GB18030); save it as UTF-8 CSV",
    },
    "file_unreadable": {
        "zh": "无法读取文件：{detail}",
        "en": "cannot read the file: {detail}",
    },
    "file_empty": {"zh": "文件是空的，没有表头", "en": "the file is empty: no header row"},
    "missing_columns": {
        "zh": "缺少必需的列：{columns}",
        "en": "missing required columns: {columns}",
    },
    "duplicate_header": {
        "zh": "列「{header}」与「{other}」表示同一项内容，只能保留一列",
        "en": "columns '{header}' and '{other}' mean the same field; keep only one",
    },
    # -- whole-file warnings (reported against the header row) ------------------------
    "column_ignored": {
        "zh": "未识别的列，已忽略",
        "en": "unknown column, ignored",
    },
    "no_rows": {"zh": "表头下没有数据行", "en": "no data rows under the header"},
    # -- generic cell problems --------------------------------------------------------
    "required": {"zh": "不能为空", "en": "must not be empty"},
    # -- ID number (身份证号) -----------------------------------------------------------
    "id_length": {
        "zh": "应为 18 位，实际为 {length} 位",
        "en": "must have 18 characters, found {length}",
    },
    "id_chars": {
        "zh": "前 17 位必须是数字，最后一位是数字或 X",
        "en": "the first 17 characters must be digits and the last a digit or X",
    },
    "id_as_number": {
        "zh": "以数字格式保存，Excel 已丢失末几位；请把该列设为文本格式后重新录入",
        "en": "stored as a number, so Excel lost the last digits; "
        "format the column as text and enter it again",
    },
    "id_birth_date": {
        "zh": "第 7–14 位不是有效的出生日期",
        "en": "characters 7-14 are not a valid birth date",
    },
    "id_checksum": {
        "zh": "校验位应为 {expected}",
        "en": "check character should be {expected}",
    },
    "id_duplicate": {
        "zh": "身份证号与第 {others} 行重复",
        "en": "same ID number as row {others}",
    },
    # -- agreement with the ID number -------------------------------------------------
    "gender_mismatch": {
        "zh": "性别与身份证号不符（按身份证号应为{expected}）",
        "en": "gender does not match the ID number (the ID says {expected})",
    },
    "birth_mismatch": {
        "zh": "出生日期与身份证号中的出生日期不一致",
        "en": "birth date differs from the one in the ID number",
    },
    # -- dates ------------------------------------------------------------------------
    "date_format": {
        "zh": "无法识别的日期「{value}」，可写作 1938-05-01、1938/5/1、1938.5.1、"
        "1938年5月1日 或 19380501",
        "en": "unrecognised date '{value}'; write e.g. 1938-05-01, 1938/5/1, 1938.5.1, "
        "1938年5月1日 or 19380501",
    },
    "date_impossible": {
        "zh": "日期 {year}-{month:02d}-{day:02d} 不存在",
        "en": "date {year}-{month:02d}-{day:02d} does not exist",
    },
    "date_range": {
        "zh": "日期 {value} 不在 1900-01-01 至 {today} 之间",
        "en": "date {value} is not between 1900-01-01 and {today}",
    },
    "date_serial": {
        "zh": "Excel 日期序号 {value} 无效",
        "en": "invalid Excel date serial {value}",
    },
    # -- phones -----------------------------------------------------------------------
    "phone_mobile": {
        "zh": "手机号「{piece}」应为 13–19 开头的 11 位数字",
        "en": "mobile number '{piece}' must be 11 digits starting with 13-19",
    },
    "phone_landline": {
        "zh": "固定电话「{piece}」应为区号加 7–8 位号码，如 0359-7012345",
        "en": "landline '{piece}' must be an area code and a 7-8 digit number, e.g. 0359-7012345",
    },
    "phone_no_area_code": {
        "zh": "固定电话「{piece}」缺少区号，如 0359-7012345",
        "en": "landline '{piece}' lacks an area code, e.g. 0359-7012345",
    },
    "phone_invalid": {
        "zh": "「{piece}」不是电话号码",
        "en": "'{piece}' is not a phone number",
    },
    "phone_multiple": {
        "zh": "只能填写一个电话号码，实际有 {count} 个",
        "en": "only one phone number allowed, found {count}",
    },
    # -- enumerations -----------------------------------------------------------------
    "category_invalid": {
        "zh": "类别「{value}」无法识别，应为 离休 或 退休",
        "en": "unknown category '{value}'; use 离休 (lixiu) or 退休 (tuixiu)",
    },
    "gender_invalid": {
        "zh": "性别「{value}」无法识别，应为 男 或 女",
        "en": "unknown gender '{value}'; use M or F",
    },
    "flag_invalid": {
        "zh": "「{value}」无法识别，应为 是 或 否",
        "en": "'{value}' is not yes/no",
    },
    "status_invalid": {
        "zh": "状态「{value}」无法识别，应为 正常、去世 或 迁出",
        "en": "unknown status '{value}'; use active, deceased or moved",
    },
    "role_invalid": {
        "zh": "角色「{value}」无法识别，应为 工作人员、网格员 或 领导",
        "en": "unknown role '{value}'; use staff, grid or leader",
    },
    # -- staff sheet ------------------------------------------------------------------
    "grid_ref_invalid": {
        "zh": "网格「{value}」无效，应写作「乡镇社区」或「乡镇社区/村小区」",
        "en": "invalid grid '{value}'; write 'township' or 'township/village'",
    },
    "grid_role_needs_grid": {
        "zh": "网格员必须填写所负责的网格",
        "en": "a grid coordinator needs at least one grid",
    },
    "name_duplicate": {
        "zh": "姓名与第 {others} 行重复",
        "en": "same name as row {others}",
    },
    # -- cross-checks made when a roster is imported ----------------------------------
    "coordinator_unknown": {
        "zh": "责任人「{name}」不在工作人员名单中",
        "en": "coordinator '{name}' is not on the staff sheet",
    },
}

ROW_PREFIX: dict[Lang, str] = {
    "zh": "第 {row} 行「{column}」：",
    "en": "row {row}, column {column}: ",
}
ROW_ONLY_PREFIX: dict[Lang, str] = {"zh": "第 {row} 行：", "en": "row {row}: "}

# Raw cell values quoted back to the user are cut so a pasted paragraph cannot flood a log
# line; only these parameters carry raw text (others are numbers, dates or our own words).
_MAX_SHOWN = 24
_RAW_PARAMS = frozenset({"value", "piece"})
# Lists (rows of a duplicate, missing columns) are cut after this many items.
_MAX_LISTED = 5
# A run of digits, optionally broken by spaces or dashes, optionally ending in X (ID numbers).
_DIGIT_RUN = re.compile(r"\+?\d(?:[\d \-]*\d)?[Xx]?")


def mask_id(value: str) -> str:
    """Hide the middle of an ID number: 142623********12 (region and last two stay)."""
    text = value.strip()
    if len(text) <= 8:
        return "*" * len(text)
    return f"{text[:6]}********{text[-2:]}"


def mask_phone(value: str) -> str:
    """Hide the middle of a phone number: 139****5678."""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}****{digits[-2:]}"
    return value


def scrub(text: str, limit: int | None = None) -> str:
    """Mask anything in ``text`` that could be an ID or phone number; cut it to ``limit``."""

    def _mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if len(digits) >= 15:
            return mask_id(re.sub(r"[^\dXx]", "", run))
        if len(digits) >= 7:
            return mask_phone(run)
        return run

    scrubbed = _DIGIT_RUN.sub(_mask, text)
    if limit is not None and len(scrubbed) > limit:
        scrubbed = scrubbed[: limit - 1] + "…"
    return scrubbed


def render(code: str, params: Mapping[str, object], lang: Lang = "zh") -> str:
    """Fill the template for ``code`` in ``lang``; string parameters are scrubbed.

    Dates and counts should be passed as ``date``/``int`` objects: only strings are scrubbed,
    and an ISO date written as text would look like a phone number to the scrubber. Lists
    are joined the language's way; a ``{"zh": ..., "en": ...}`` mapping gives one word per
    language.
    """
    safe = {key: _safe_param(key, value, lang) for key, value in params.items()}
    templates = TEMPLATES.get(code)
    if templates is None:
        # A code without a template must not stop an error report from being printed.
        return " ".join([code, *(f"{key}={value}" for key, value in safe.items())])
    return templates.get(lang, templates["en"]).format(**safe)


def _safe_param(key: str, value: object, lang: Lang) -> object:
    if isinstance(value, Mapping):
        # A word given in each language, e.g. {"zh": "女", "en": "female"}.
        return value.get(lang, value.get("en"))
    if isinstance(value, str):
        return scrub(value, _MAX_SHOWN if key in _RAW_PARAMS else None)
    if isinstance(value, list | tuple):
        return join_list([str(_safe_param(key, item, lang)) for item in value], lang)
    return value


def join_list(items: list[str] | tuple[str, ...], lang: Lang) -> str:
    """List items the way each language does: 2、5、9 or 2, 5, 9; long lists are cut."""
    shown = list(items[:_MAX_LISTED])
    if len(items) > _MAX_LISTED:
        shown.append("…")
    return ("、" if lang == "zh" else ", ").join(shown)
