"""The playbook: the shipped default is valid, and a broken one is refused naming file, key and reason."""

from __future__ import annotations

import pytest

from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook
from yinhui.rules.playbook import PlaybookError


def test_default_playbook_has_the_article_cadence():
    playbook = load_playbook()
    call, visit = playbook.rule("monthly_call"), playbook.rule("quarterly_visit")
    assert (call.every, call.kind) == ("month", "call")
    assert (visit.every, visit.kind) == ("quarter", "visit")
    assert "visit" in call.satisfied_by


def _write(tmp_path, text: str, name: str = "playbook.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_period_is_refused_with_file_key_and_reason(tmp_path):
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8").replace('every = "quarter"', 'every = "fortnight"')
    path = _write(tmp_path, text)
    with pytest.raises(PlaybookError) as err:
        load_playbook(path)
    assert err.value.file == str(path)
    assert err.value.key == "cadence[1].every"
    assert "quarter" in err.value.reason


def test_a_typo_key_is_refused(tmp_path):
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8").replace("horizon_days = 7", "horizon_dayz = 7")
    with pytest.raises(PlaybookError) as err:
        load_playbook(_write(tmp_path, text))
    assert err.value.key == "digest.horizon_dayz"
    assert "unknown key" in err.value.reason


def test_escalation_days_must_increase(tmp_path):
    text = DEFAULT_PLAYBOOK.read_text(encoding="utf-8").replace("after_days = [3, 7]", "after_days = [7, 3]")
    with pytest.raises(PlaybookError) as err:
        load_playbook(_write(tmp_path, text))
    assert err.value.key == "escalation.after_days"


def test_broken_toml_names_the_file(tmp_path):
    path = _write(tmp_path, "[cadence\nrule = 1")
    with pytest.raises(PlaybookError, match="not valid TOML") as err:
        load_playbook(path)
    assert str(path) in str(err.value)


def test_yaml_playbook_is_read_too(tmp_path):
    text = """
cadence:
  - rule: monthly_call
    kind: call
    title: {zh: 每月电话, en: Monthly call}
    every: month
    satisfied_by: [call, visit]
    outcomes: [reached, unreachable]
"""
    playbook = load_playbook(_write(tmp_path, text, "playbook.yaml"))
    assert [r.rule for r in playbook.cadence] == ["monthly_call"]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PlaybookError, match="cannot read"):
        load_playbook(tmp_path / "nope.toml")
