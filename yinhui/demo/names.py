"""Word lists for inventing people, places and work units of the demo county (no real persons),
and the small functions that make names from them."""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import accumulate

from yinhui.roster import Gender

# Common surnames, the ones frequent in southern Shanxi first; draws are weighted toward
# the front of the list so the roster looks plausible (many 王, 李, 张).
SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "杨", "郭", "赵", "刘", "薛", "冯", "贾",
    "卫", "裴", "史", "董", "吴", "孙", "周", "马", "胡", "徐",
    "高", "梁", "柴", "姚", "韩", "尹", "任", "宋", "范", "席",
    "陈", "黄", "朱", "何", "吕", "苏", "卢", "程", "曹", "崔",
    "段", "阎", "侯", "孟", "秦", "毛", "常", "武", "乔", "雷",
    "仇", "畅", "景", "荆", "宁", "柳", "牛", "郝", "田", "姬",
)  # fmt: skip

# Characters parents of the 1920s-1960s often chose, by the child's gender.
GIVEN_MALE: tuple[str, ...] = (
    "德", "明", "志", "国", "建", "华", "文", "武", "学", "军",
    "平", "忠", "福", "贵", "全", "生", "林", "成", "有", "俊",
    "海", "庆", "荣", "祥", "瑞", "兴", "保", "宝", "占", "树",
    "发", "振", "春", "富", "义", "长", "安", "宏", "伟", "强",
    "胜", "利", "峰", "根", "旺", "喜", "锁", "仁", "怀", "耀",
)  # fmt: skip
GIVEN_FEMALE: tuple[str, ...] = (
    "秀", "英", "兰", "芳", "桂", "玉", "珍", "凤", "梅", "霞",
    "红", "琴", "云", "莲", "花", "娥", "萍", "丽", "敏", "淑",
    "慧", "翠", "爱", "香", "巧", "荷", "月", "素", "彩", "菊",
)  # fmt: skip

# Stems for townships (…镇 / …乡); the county seat is always 城关镇.
COUNTY_SEAT_TOWNSHIP = "城关镇"
TOWNSHIP_STEMS: tuple[str, ...] = (
    "河东", "柳泉", "石桥", "青山", "杏花", "白杨", "南岭", "北塬",
    "西沟", "凤鸣", "桃园", "金川", "龙泉", "清水", "上坪", "红崖",
    "马庄", "东塬", "槐树", "苍岭", "汾南", "古堡", "涑河", "泉掌",
)  # fmt: skip

# Stems for urban communities (…社区) of the county seat.
COMMUNITY_STEMS: tuple[str, ...] = (
    "文化路", "府前街", "解放路", "东关", "西关", "南关", "北关", "新华街",
    "建设路", "人民路", "朝阳", "和平路", "滨河", "育才路", "鼓楼", "涑水",
    "迎宾路", "车站", "花园街", "振兴路", "工业路", "永安", "兴华", "裕民",
)  # fmt: skip

# Village names: a surname + these (王家庄村), or a direction + a landform (东街村).
VILLAGE_SURNAME_ENDINGS: tuple[str, ...] = ("家庄", "家沟", "家堡", "家坡", "家院", "家岭")
VILLAGE_DIRECTIONS: tuple[str, ...] = ("东", "西", "南", "北", "上", "下", "前", "后", "中")
VILLAGE_LANDFORMS: tuple[str, ...] = (
    "街", "关", "堡", "坡", "沟", "岭", "峪", "庄", "坪", "洼", "头", "湾",
)  # fmt: skip

# Residential compounds (…小区): a pleasant stem + a kind, or a former work unit's housing.
COMPOUND_STEMS: tuple[str, ...] = (
    "锦绣", "幸福", "和谐", "阳光", "翠苑", "康乐", "鑫源", "文苑",
    "华府", "丽景", "怡和", "嘉禾", "馨园", "瑞祥", "安居", "金桂",
)  # fmt: skip
COMPOUND_KINDS: tuple[str, ...] = ("花园", "家园", "苑", "新村", "公寓", "佳苑")

# Work units whose retirees form party branches, with the system (系统) each belongs to;
# a general branch (党总支) gathers the branches of one system.
WORK_UNITS: tuple[tuple[str, str], ...] = (
    ("县教育局", "教育系统"),
    ("县卫生健康局", "卫生健康系统"),
    ("县第一中学", "教育系统"),
    ("县人民医院", "卫生健康系统"),
    ("县公安局", "政法系统"),
    ("县农业农村局", "农业农村系统"),
    ("县第二中学", "教育系统"),
    ("县中医医院", "卫生健康系统"),
    ("县人民法院", "政法系统"),
    ("县水利局", "农业农村系统"),
    ("县财政局", "县直机关"),
    ("县实验小学", "教育系统"),
    ("县妇幼保健院", "卫生健康系统"),
    ("县人民检察院", "政法系统"),
    ("县林业局", "农业农村系统"),
    ("县委办公室", "县直机关"),
    ("县职业中学", "教育系统"),
    ("县疾病预防控制中心", "卫生健康系统"),
    ("县司法局", "政法系统"),
    ("县农机服务中心", "农业农村系统"),
    ("县政府办公室", "县直机关"),
    ("县人大常委会机关", "县直机关"),
    ("县政协机关", "县直机关"),
    ("县委组织部", "县直机关"),
    ("县委宣传部", "县直机关"),
    ("县交通运输局", "县直机关"),
    ("县自然资源局", "县直机关"),
    ("县住房和城乡建设局", "县直机关"),
    ("县民政局", "县直机关"),
    ("县人力资源和社会保障局", "县直机关"),
    ("县市场监督管理局", "县直机关"),
    ("县供销合作社", "县直机关"),
    ("县粮食局", "县直机关"),
    ("县广播电视台", "县直机关"),
    ("县税务局", "县直机关"),
    ("县审计局", "县直机关"),
    ("县统计局", "县直机关"),
    ("县文化和旅游局", "县直机关"),
    ("县总工会", "县直机关"),
    ("县妇联", "县直机关"),
    ("县供电公司", "县直机关"),
    ("县邮政公司", "县直机关"),
    ("县农村信用联社", "县直机关"),
    ("县档案馆", "县直机关"),
)
GENERAL_BRANCH_SYSTEMS: tuple[str, ...] = (
    "教育系统",
    "卫生健康系统",
    "政法系统",
    "农业农村系统",
    "县直机关",
)

# The four volunteer teams named in the article (四支志愿服务队伍).
VOLUNTEER_TEAMS: tuple[str, ...] = (
    "培根铸魂宣讲团",
    "守护绿色生态志愿团",
    "助力转型老专家志愿团",
    "家门口志愿服务者团队",
)


# -- making names from the lists ---------------------------------------------------------


def unique(make: Callable[[], str], suffix: str, used: set[str]) -> str:
    """A name from ``make`` + ``suffix`` not yet in ``used``; numbered if the lists run dry."""
    for _ in range(50):
        name = make() + suffix
        if name not in used:
            used.add(name)
            return name
    stem, number = make(), 2
    while f"{stem}{number}{suffix}" in used:
        number += 1
    used.add(name := f"{stem}{number}{suffix}")
    return name


# Surnames are drawn with weight 1/(rank + 4): common ones clearly ahead (王 about 9%),
# the rare ones still present.
SURNAME_CUM_WEIGHTS = list(accumulate(1 / (rank + 4) for rank in range(len(SURNAMES))))


def person_name(rng: random.Random, gender: Gender) -> str:
    surname = rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0]
    pool = GIVEN_MALE if gender == "M" else GIVEN_FEMALE
    length = 2 if rng.random() < 0.75 else 1
    return surname + "".join(rng.choice(pool) for _ in range(length))


def cadre_name(rng: random.Random, gender: Gender, reserved: set[str]) -> str:
    """Cadres may share names (IDs tell them apart) but never carry a staff member's name,
    so that a 责任人 cell is never ambiguous."""
    while (name := person_name(rng, gender)) in reserved:
        pass
    return name


def village_stem(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SURNAMES) + rng.choice(VILLAGE_SURNAME_ENDINGS)
    return rng.choice(VILLAGE_DIRECTIONS) + rng.choice(VILLAGE_LANDFORMS)


def compound_stem(rng: random.Random) -> str:
    return rng.choice(COMPOUND_STEMS) + rng.choice(COMPOUND_KINDS)
