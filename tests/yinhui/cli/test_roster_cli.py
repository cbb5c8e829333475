"""`yinhui import-roster` with the plan, the protected changes and `--confirm`; `yinhui playbook check` on roster words."""

from __future__ import annotations

from sqlalchemy import select

from models.db import session_scope
from models.people import Cadre
from tests.roster.sheets import ID_FEMALE_1950, ID_MALE_1938, write_csv
from tests.yinhui.cli.test_core import _roster, _three, run
from yinhui.playbook_loader import DEFAULT_PLAYBOOK
from yinhui.privacy import mask_id_number


def _statuses() -> dict[str, str]:
    with session_scope() as s:
        return dict(s.execute(select(Cadre.name, Cadre.status)).all())


def test_a_dry_run_lists_every_field_that_would_change_with_the_id_masked(database, tmp_path, capsys):
    assert run(capsys, "import-roster", _roster(tmp_path, _three()))[0] == 0
    changed = _three()
    changed[0][6] = "城关镇东街村5号"  # 住址
    changed[0][5] = "13900009999"  # 联系电话
    code, out, err = run(capsys, "import-roster", _roster(tmp_path, changed, "changed.csv"), "--dry-run")
    assert code == 0, err
    line = next(line for line in out.splitlines() if "王建国" in line)
    assert mask_id_number(ID_MALE_1938) in line and ID_MALE_1938 not in out
    assert "住址" in line and "城关镇东街村5号" in line and "联系电话" in line
    assert "13900009999" not in out  # phones masked too
    assert "would import: 0 new, 1 updated, 2 unchanged" in out and "dry run: nothing was written" in out
    with session_scope() as s:
        assert s.execute(select(Cadre.address).where(Cadre.name == "王建国")).scalar_one() != "城关镇东街村5号"


def test_an_older_roster_after_a_death_is_refused_until_the_cadre_is_confirmed(database, tmp_path, capsys):
    older = _roster(tmp_path, _three(), "older.csv")
    code, _, err = run(capsys, "import-roster", older)
    assert code == 0, err
    died = _three()
    died[1][13] = "去世"
    code, _, err = run(capsys, "import-roster", _roster(tmp_path, died, "died.csv"))
    assert code == 0, err
    assert _statuses()["李秀英"] == "deceased"

    code, out, err = run(capsys, "import-roster", older)
    assert code == 1
    assert "nothing was imported" in err and "李秀英" in err and "--confirm" in err
    assert ID_FEMALE_1950 not in err + out
    assert _statuses()["李秀英"] == "deceased"

    code, out, err = run(capsys, "import-roster", older, "--dry-run")  # the plan shows it, still refused
    assert code == 1 and "李秀英" in out and "李秀英" in err

    code, out, err = run(capsys, "import-roster", older, "--confirm", ID_FEMALE_1950)
    assert code == 0, err
    assert "status: 李秀英 deceased → active" in out
    assert _statuses()["李秀英"] == "active"


def test_playbook_check_reports_roster_words_contradicting_the_table(tmp_path, capsys):
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8").replace(
        "[roster.column_synonyms]", '[roster.column_synonyms]\nid_number = ["姓名"]', 1)
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "playbook", "check", str(path))
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "id_number" in err
    assert run(capsys, "playbook", "check", str(DEFAULT_PLAYBOOK))[0] == 0


def test_import_staff_counts_the_problems_not_listed(database, tmp_path, capsys):
    rows = [["姓名", "角色", "网格", "电话"]] + [[f"人{n}", "无此角色", "", ""] for n in range(300)]
    code, _, err = run(capsys, "import-staff", str(write_csv(tmp_path / "staff.csv", rows)))
    assert code == 1 and "nothing was imported" in err
    assert len(err.splitlines()) < 300  # capped, with a line for the rest
