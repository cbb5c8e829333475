import csv
from collections import Counter
from datetime import date

import pytest
from openpyxl import load_workbook

from yinhui.demo.county import County, build_county
from yinhui.demo.names import VOLUNTEER_TEAMS
from yinhui.demo.sheets import write_roster, write_staff
from yinhui.roster import load_roster, load_staff, parse_id_number

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def county() -> County:
    return build_county(as_of=AS_OF)


def test_grids(county):
    assert len(county.townships) == 12
    assert all(name.endswith(("镇", "乡")) for name in county.townships)
    assert len(county.communities) == 15
    assert all(name.endswith("社区") for name in county.communities)
    assert len(set(county.level2_grids)) == 27
    assert len(county.base_grids) == 213
    assert len({g.path for g in county.base_grids}) == 213
    for grid in county.base_grids:
        expected_kind = "村" if grid.level2 in county.townships else "小区"
        assert grid.name.endswith(expected_kind), grid
    assert {g.level2 for g in county.base_grids} == set(county.level2_grids)


def test_every_base_grid_has_a_cadre(county):
    homes = {(c.township, c.village) for c in county.cadres}
    assert homes == {(g.level2, g.name) for g in county.base_grids}


def test_party_organisation(county):
    assert len(county.general_branches) == 2
    assert len(set(county.branches)) == 52
    assert all(b.endswith("党支部") for b in county.branches)
    assert all(g.endswith("党总支") for g in county.general_branches)
    assert set(county.branch_parent) == set(county.branches)
    assert set(county.branch_parent.values()) == {None, *county.general_branches}
    # Every township has a branch named after it (the article: all 12 townships covered).
    assert all(f"{t}离退休干部党支部" in county.branches for t in county.townships)


def test_cadres(county):
    cadres = county.cadres
    assert len(cadres) == 1688 + 300
    members = [c for c in cadres if c.party_branch is not None]
    assert len(members) == 1688
    assert {c.party_branch for c in members} == set(county.branches)
    lixiu = [c for c in cadres if c.category == "lixiu"]
    assert abs(len(lixiu) / len(cadres) - 0.05) <= 0.01
    assert all(1926 <= c.birth_date.year <= 1933 for c in lixiu)
    assert all(1940 <= c.birth_date.year <= 1966 for c in cadres if c.category == "tuixiu")
    assert abs(sum(c.lives_alone for c in cadres) / len(cadres) - 0.12) <= 0.01
    assert abs(sum(c.hardship for c in cadres) / len(cadres) - 0.05) <= 0.01
    assert {c.status for c in cadres} == {"active"}
    assert len({c.id_number for c in cadres}) == len(cadres)
    assert [c.row for c in cadres] == list(range(2, len(cadres) + 2))


def test_id_numbers_agree_with_gender_and_birth(county):
    for cadre in county.cadres:
        card = parse_id_number(cadre.id_number, today=AS_OF)
        assert card.region.startswith("14")
        assert (card.gender, card.birth_date) == (cadre.gender, cadre.birth_date)


def test_staff(county):
    roles = Counter(s.role for s in county.staff)
    assert roles == {"grid": 27, "staff": 8, "leader": 2}
    coordinators = [s for s in county.staff if s.role == "grid"]
    assert [s.grids[0].level2 for s in coordinators] == list(county.level2_grids)
    assert len({s.name for s in county.staff}) == len(county.staff)
    assert all(s.phone for s in county.staff)


def test_one_link_five_packages(county):
    bureau = {s.name for s in county.staff if s.role == "staff"}
    linked = [c for c in county.cadres if c.coordinator is not None]
    assert abs(len(linked) / len(county.cadres) - 0.10) <= 0.01
    loads = Counter(c.coordinator for c in linked)
    assert set(loads) == bureau
    assert max(loads.values()) - min(loads.values()) <= 1
    assert not bureau & {c.name for c in county.cadres}


def test_volunteer_teams(county):
    assert [t.name for t in county.volunteer_teams] == list(VOLUNTEER_TEAMS)
    by_id = {c.id_number: c for c in county.cadres}
    members = [m for t in county.volunteer_teams for m in t.members]
    assert members and len(members) == len(set(members))
    assert all(by_id[m].category == "tuixiu" for m in members)
    ages = [AS_OF.year - by_id[m].birth_date.year for m in members]
    assert sum(ages) / len(ages) > 65  # the article: average age over 65


def test_same_seed_same_county_other_seed_other_county(county):
    assert build_county(as_of=AS_OF) == county
    other = build_county(7, as_of=AS_OF)
    assert other.cadres != county.cadres
    assert other.townships != county.townships


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_written_files_load_without_errors(county, tmp_path, suffix):
    roster_path, staff_path = tmp_path / f"roster.{suffix}", tmp_path / f"staff.{suffix}"
    write_roster(county, roster_path)
    write_staff(county, staff_path)
    roster = load_roster(roster_path, today=AS_OF)
    staff = load_staff(staff_path)
    assert (roster.errors, roster.warnings, staff.errors, staff.warnings) == ([], [], [], [])
    assert tuple(roster.records) == county.cadres
    assert tuple(staff.records) == county.staff


def test_csv_is_utf8_with_bom_and_text_dates(county, tmp_path):
    path = tmp_path / "roster.csv"
    write_roster(county, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header, first = next(reader), next(reader)
    assert header[:4] == ["姓名", "身份证号", "性别", "出生日期"]
    assert first[3] == county.cadres[0].birth_date.isoformat()


def test_xlsx_has_real_date_cells(county, tmp_path):
    path = tmp_path / "roster.xlsx"
    write_roster(county, path)
    sheet = load_workbook(path).worksheets[0]
    assert sheet["D2"].is_date
    assert sheet["D2"].value.date() == county.cadres[0].birth_date
    assert sheet["B2"].data_type == "s"  # the ID number is text, never a number


def test_small_county_still_validates(tmp_path):
    small = build_county(
        3, townships=2, communities=1, base_grids=6, general_branches=1, branches=4,
        party_members=3, non_members=2, lixiu_share=0.2, as_of=AS_OF,
    )  # fmt: skip
    assert len(small.cadres) == 5 and len(small.base_grids) == 6
    assert sum(c.category == "lixiu" for c in small.cadres) == 1
    write_roster(small, tmp_path / "r.csv")
    assert load_roster(tmp_path / "r.csv", today=AS_OF).ok


def test_impossible_shapes_are_refused(tmp_path):
    with pytest.raises(ValueError):
        build_county(townships=12, communities=15, base_grids=20, as_of=AS_OF)
    with pytest.raises(ValueError):
        build_county(general_branches=9, as_of=AS_OF)
    with pytest.raises(ValueError):
        write_roster(build_county(as_of=AS_OF), tmp_path / "roster.ods")
    assert not (tmp_path / "roster.ods").exists()
