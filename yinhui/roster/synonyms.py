"""The one table of words a roster may use: the headers of each column and the words of each value.

Real rosters (花名册) are kept by hand in many offices, so the same column is headed 身份证号,
身份证号码 or 公民身份号码, and the same status written 正常, 在册 or 健在. Every spelling the
software understands is listed here, once; a bureau adds its own in the playbook's ``[roster]``
section (see ``Vocabulary.extended``), and the reader and the cell parsers look words up only
through a ``Vocabulary``. The first header of a column and the first word of a value are the
ones Yinhui itself writes (the demo roster, the texts that name a value).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# field -> (the Chinese header we write, the English header, other headers seen in real rosters)
ROSTER_HEADERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "name": ("姓名", "name", "老干部姓名", "干部姓名", "名字"),
    "id_number": ("身份证号", "id_number", "身份证号码", "身份证", "公民身份号码", "公民身份证号",
                  "公民身份证号码", "身份证件号码", "证件号码", "id card", "id no"),
    "gender": ("性别", "gender", "sex"),
    "birth_date": ("出生日期", "birth_date", "出生年月日", "出生年月", "出生时间", "生日",
                   "date of birth"),
    "category": ("类别", "category", "离退休类别", "人员类别", "干部类别", "离退休", "离退类别",
                 "离休退休"),
    "phone": ("联系电话", "phone", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码",
              "固定电话", "座机", "家庭电话", "联系电话手机", "mobile"),
    "address": ("住址", "address", "家庭住址", "现住址", "居住地址", "现居住地址", "家庭地址",
                "现居住地", "地址", "详细地址"),
    "township": ("乡镇社区", "township", "乡镇", "社区", "所在乡镇", "所属乡镇", "所属社区",
                 "所在社区", "乡镇街道", "所在乡镇社区", "乡镇/社区", "街道"),
    "village": ("村小区", "village", "村", "小区", "村社区", "村/社区", "所在村", "所在村社区",
                "村居", "所属村", "所在小区", "村组"),
    "party_branch": ("党支部", "party_branch", "所在党支部", "所属党支部", "党组织", "所在党组织",
                     "支部"),
    "coordinator": ("责任人", "coordinator", "联系人", "包联人", "包联干部", "联系干部",
                    "联系责任人", "帮扶责任人"),
    "lives_alone": ("独居", "lives_alone", "是否独居", "独居老人"),
    "hardship": ("特殊困难", "hardship", "是否特殊困难", "是否困难", "困难"),
    "status": ("状态", "status", "人员状态", "在册状态", "现状", "健在情况"),
    # The next of kin beside the cadre's own columns (one relative per row; a 亲属 sheet holds more).
    "kin_name": ("紧急联系人", "next_of_kin", "紧急联系人姓名", "亲属联系人", "家属联系人"),
    "kin_relation": ("与本人关系", "kin_relation", "紧急联系人关系", "联系人关系", "与干部关系"),
    "kin_phone": ("紧急联系人电话", "next_of_kin_phone", "联系人电话", "紧急联系电话", "紧急联系人手机",
                  "亲属电话", "家属电话"),
    "volunteer_teams": ("志愿服务队", "volunteer_teams", "志愿队", "志愿服务团队", "所在志愿服务队",
                        "志愿团队"),
})  # fmt: skip

# The relatives sheet (亲属, 家属 ...): one relative a row, with the cadre's ID number.
RELATIVE_HEADERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "cadre_id_number": ("干部身份证号", "cadre_id_number", "干部身份证号码", "老干部身份证号",
                        "所属干部身份证号", "本人身份证号"),
    "cadre_name": ("所属干部", "cadre", "干部姓名", "老干部姓名", "所属老干部", "本人姓名"),
    "relative_name": ("姓名", "name", "亲属姓名", "家属姓名"),
    "relation": ("与本人关系", "relation", "关系", "亲属关系", "与干部关系"),
    "relative_phone": ("联系电话", "phone", "电话", "手机", "手机号", "手机号码"),
    "next_of_kin": ("紧急联系人", "next_of_kin", "是否紧急联系人"),
    "in_group": ("亲人群", "in_group", "是否入群", "在亲人群", "亲人微信群", "入群"),
})  # fmt: skip

# What a workbook's relatives sheet may be called; the first sheet is always the cadres'.
RELATIVE_SHEETS: tuple[str, ...] = ("亲属", "家属", "亲属信息", "家属信息", "亲属名单", "relatives")

# A header that names another column when the sheet has certain others beside it: 联系人 is the
# cadre's 责任人 on its own, but the next of kin's name beside 联系人电话 or 与本人关系.
CONTEXT_HEADERS: Mapping[str, tuple[str, frozenset[str]]] = MappingProxyType({
    "联系人": ("kin_name", frozenset({"kin_phone", "kin_relation"})),
})

STAFF_HEADERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "name": ("姓名", "name"),
    "role": ("角色", "role", "职务", "岗位"),
    "grids": ("网格", "grids", "grid", "负责网格", "所在网格"),
    "phone": ("电话", "phone", "联系电话", "手机", "手机号码"),
})  # fmt: skip

# Columns many rosters carry that mean nothing to Yinhui: read past without a warning.
QUIET_HEADERS: tuple[str, ...] = ("序号", "序", "编号", "No.", "#")

# Fields that may be spread over several columns, read as one (手机号码 and 固定电话 both: phone).
MULTI_COLUMN_FIELDS = frozenset({"phone"})

# kind -> canonical value -> words (the first is the one Yinhui writes in a Chinese roster)
VALUE_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "status": {
        "active": ("正常", "在册", "健在", "在世", "在职在册", "active", "alive", "normal"),
        "deceased": ("去世", "已故", "病故", "死亡", "逝世", "亡故", "过世", "已去世", "deceased",
                     "dead", "died"),
        "moved": ("迁出", "转出", "外迁", "异地安置", "已迁出", "已转出", "迁往外地", "moved",
                  "moved away", "transferred"),
    },
    "category": {
        "lixiu": ("离休", "离休干部", "离", "lixiu"),
        "tuixiu": ("退休", "退休干部", "退", "退休人员", "tuixiu", "retired"),
    },
    "gender": {
        "M": ("男", "男性", "m", "male"),
        "F": ("女", "女性", "f", "female"),
    },
    "flag": {
        "yes": ("是", "y", "yes", "true", "1", "√", "✓", "✔", "有"),
        "no": ("否", "n", "no", "false", "0", "×", "✗", "✘", "无"),
    },
    # A relative's relation to the cadre (与本人关系): the first word is the one stored.
    "relation": {
        "配偶": ("配偶", "妻子", "丈夫", "老伴", "爱人", "夫妻", "妻", "夫", "spouse", "wife", "husband"),
        "子女": ("子女", "孩子", "child", "children"),
        "儿子": ("儿子", "长子", "次子", "三子", "幼子", "son"),
        "女儿": ("女儿", "长女", "次女", "三女", "幼女", "daughter"),
        "儿媳": ("儿媳", "儿媳妇", "媳妇", "daughter-in-law"),
        "女婿": ("女婿", "son-in-law"),
        "孙子女": ("孙子女", "孙子", "孙女", "外孙", "外孙女", "外孙子女", "grandchild", "grandson",
                 "granddaughter"),
        "兄弟姐妹": ("兄弟姐妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹", "sibling", "brother",
                  "sister"),
        "其他": ("其他", "其它", "亲属", "亲戚", "侄子", "侄女", "外甥", "外甥女", "other", "relative"),
    },
    "role": {
        "staff": ("工作人员", "staff", "干部", "科员"),
        "grid": ("网格员", "网格长", "grid", "grid coordinator"),
        "leader": ("领导", "局长", "副局长", "leader"),
    },
})  # fmt: skip

# How the closing lines under a roster begin (合计: 240 人; 填表人: … 审核人: …): read past.
CLOSING_WORDS: tuple[str, ...] = ("合计", "总计", "小计", "共计", "填表人", "制表人", "填报人",
                                  "审核人", "填表日期", "制表日期", "填报日期", "填报单位",
                                  "负责人", "备注", "说明", "注:")

# Written in an optional cell to say "none" (无 in 联系电话); read as an empty cell.
EMPTY_WORDS: tuple[str, ...] = ("无", "暂无", "空", "/", "-", "—", "——", "none", "n/a")

# Ignored when matching a header or a word: case, full width, spaces, brackets, '_', '-', '*',
# and invisible characters (a zero-width space pasted into a header; a cell holding one is
# refused before its words are looked up).
_NOISE = re.compile(r"[\s_\-*()\[\]【】:·.\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def word_key(text: object) -> str:
    """The form in which headers and words are compared (村（社区） and 村 社区 are one)."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)  # a 1 typed into a yes/no cell comes back from Excel as 1.0
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(text))).casefold()


class VocabularyError(ValueError):
    """A bureau's addition to the table that contradicts it; ``key`` is the playbook key."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(f"{key}: {reason}")


@dataclass(frozen=True)
class Vocabulary:
    """The words in force: the built-in table plus what a bureau added."""

    roster_headers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: ROSTER_HEADERS)
    staff_headers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: STAFF_HEADERS)
    relative_headers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: RELATIVE_HEADERS)
    values: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: VALUE_WORDS)
    ignored_headers: tuple[str, ...] = ()
    _lookup: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {
            kind: {word_key(w): value for value, words in table.items() for w in words}
            for kind, table in self.values.items()
        }
        object.__setattr__(self, "_lookup", lookup)

    def value(self, kind: str, raw: object) -> str | None:
        """The canonical value a word stands for, or None when it is not in the table."""
        return self._lookup[kind].get(word_key(raw))

    def accepted(self, kind: str) -> tuple[str, ...]:
        """What may be written for ``kind``, one entry per value: 正常/在册/健在/…"""
        return tuple("/".join(words) for words in self.values[kind].values())

    def written(self, kind: str, value: str) -> str:
        """The word Yinhui writes for a value (正常, 离休, 男 ...)."""
        return self.values[kind][value][0]

    def headers(self, sheet: str) -> Mapping[str, tuple[str, ...]]:
        """field -> headers, for 'roster', 'relatives' or 'staff', without the headers a bureau ignores."""
        table = {"roster": self.roster_headers, "relatives": self.relative_headers}.get(sheet, self.staff_headers)
        dropped = {word_key(h) for h in self.ignored_headers}
        return {f: tuple(h for h in hs if word_key(h) not in dropped) for f, hs in table.items()}

    def quiet(self, header: str) -> bool:
        """A header read past without a warning: 序号, or one the bureau told us to ignore."""
        key = word_key(header)
        return any(key == word_key(h) for h in (*QUIET_HEADERS, *self.ignored_headers))

    def extended(
        self,
        *,
        column_synonyms: Mapping[str, Iterable[str]] | None = None,
        value_synonyms: Mapping[str, Mapping[str, Iterable[str]]] | None = None,
        ignore_columns: Iterable[str] = (),
    ) -> Vocabulary:
        """This vocabulary with a bureau's words added (its playbook's ``[roster]`` section).

        A word may not mean two things: a header already naming another column, or a value word
        already standing for another value, raises VocabularyError naming the playbook key.
        """
        headers = {f: list(hs) for f, hs in self.roster_headers.items()}
        relatives = {f: list(hs) for f, hs in self.relative_headers.items()}
        for name, words in (column_synonyms or {}).items():
            key = f"roster.column_synonyms.{name}"
            # A field of the relatives sheet takes its words there (its fields have their own names).
            sheet = relatives if name in relatives else headers
            if name not in sheet:
                raise VocabularyError(key, f"no roster column is called {name!r}")
            for word in words:
                _check_word(key, word)
                owner = _owner(sheet, word)
                if owner not in (None, name):
                    raise VocabularyError(key, f"{word!r} already names the column {owner!r}")
                sheet[name].append(word)
        values = {kind: {v: list(ws) for v, ws in table.items()} for kind, table in self.values.items()}
        for kind, table in (value_synonyms or {}).items():
            if kind not in values:
                raise VocabularyError(f"roster.value_synonyms.{kind}", "unknown kind of value")
            for value, words in table.items():
                key = f"roster.value_synonyms.{kind}.{value}"
                if value not in values[kind]:
                    raise VocabularyError(key, f"{kind} has no value {value!r}")
                for word in words:
                    _check_word(key, word)
                    owner = _owner(values[kind], word)
                    if owner not in (None, value):
                        raise VocabularyError(key, f"{word!r} already means {owner!r}")
                    values[kind][value].append(word)
        ignored = tuple(ignore_columns)
        for word in ignored:
            _check_word("roster.ignore_columns", word)
            if any(word_key(word) in (word_key(hs[0]), word_key(hs[1])) for hs in headers.values()):
                raise VocabularyError("roster.ignore_columns", f"{word!r} is one of Yinhui's own headers")
        return Vocabulary(
            roster_headers=MappingProxyType({f: tuple(hs) for f, hs in headers.items()}),
            staff_headers=self.staff_headers,
            relative_headers=MappingProxyType({f: tuple(hs) for f, hs in relatives.items()}),
            values=MappingProxyType({k: {v: tuple(ws) for v, ws in t.items()} for k, t in values.items()}),
            ignored_headers=self.ignored_headers + ignored,
        )


def _check_word(key: str, word: str) -> None:
    if not isinstance(word, str) or not word_key(word):
        raise VocabularyError(key, f"{word!r} is not a word")


def _owner(table: Mapping[str, Iterable[str]], word: str) -> str | None:
    wanted = word_key(word)
    for name, words in table.items():
        if any(word_key(w) == wanted for w in words):
            return name
    return None


DEFAULT_VOCABULARY = Vocabulary()
