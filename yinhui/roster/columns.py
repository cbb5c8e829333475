"""The columns of the roster and staff sheets: canonical field, Chinese and English header."""

from __future__ import annotations

from dataclasses import dataclass

from yinhui.roster.messages import Lang


@dataclass(frozen=True, slots=True)
class Column:
    """One column a sheet may have; ``aliases`` are other headers bureaus are known to use."""

    field: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def header(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


# Order is the order a written roster uses (see yinhui.demo.county.write_roster).
ROSTER_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "name", required=True),
    Column("id_number", "身份证号", "id_number", required=True, aliases=("身份证号码", "身份证")),
    Column("gender", "性别", "gender"),
    Column("birth_date", "出生日期", "birth_date", aliases=("出生年月日",)),
    Column("category", "类别", "category", required=True, aliases=("离退休类别",)),
    Column("phone", "联系电话", "phone", aliases=("电话", "手机", "手机号")),
    Column("address", "住址", "address", aliases=("家庭住址",)),
    Column("township", "乡镇社区", "township", required=True, aliases=("乡镇", "社区")),
    Column("village", "村小区", "village", required=True, aliases=("村", "小区")),
    Column("party_branch", "党支部", "party_branch", aliases=("所在党支部",)),
    Column("coordinator", "责任人", "coordinator", aliases=("联系人",)),
    Column("lives_alone", "独居", "lives_alone", aliases=("是否独居",)),
    Column("hardship", "特殊困难", "hardship", aliases=("是否特殊困难",)),
    Column("status", "状态", "status"),
)

STAFF_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "name", required=True),
    Column("role", "角色", "role", required=True),
    Column("grids", "网格", "grids", aliases=("grid",)),
    Column("phone", "电话", "phone", aliases=("联系电话", "手机")),
)
