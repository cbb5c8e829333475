"""The gettext catalogues: in step with the code, read in a source checkout, compiled into a wheel."""

import gettext
import importlib.metadata
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from yinhui import i18n
from yinhui.i18n import N_, problems, text, translator
from yinhui.roster import RowError
from yinhui.roster.messages import Term

ROOT = Path(__file__).resolve().parent.parent
ZH = "第 4 行「身份证号」：身份证号与第 2、6 行重复"
EN = "row 4, column 身份证号: same ID number as row 2, 6"


def duplicate_id() -> RowError:
    return RowError(4, "身份证号", "id_duplicate", {"others": ("2", "6")})


@pytest.fixture
def fresh_translators():
    """Translators loaded anew in the test and forgotten after it (they are cached)."""
    translator.cache_clear()
    yield
    translator.cache_clear()


@pytest.fixture
def checkout_locale(tmp_path) -> Path:
    """The catalogues as a fresh clone has them: .po files only, nothing compiled."""
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    assert not list(locale.rglob("*.mo"))
    return locale


# -- (a) the extraction check CI runs ----------------------------------------------------------


def test_catalogues_agree_with_the_code():
    """Every marked text is in both catalogues, none is stale, zh_CN translates all of them
    with the same {placeholders}. Fix: `python -m yinhui.i18n update`, then fill zh_CN msgstr."""
    assert problems() == []


def test_the_check_command_agrees():
    assert i18n.main(["check"]) == 0


# -- (b) what a reader sees ------------------------------------------------------------------


def test_a_roster_message_in_each_language():
    assert duplicate_id().message("zh") == ZH
    assert duplicate_id().message("en") == EN


def test_a_word_of_ours_in_each_language():
    error = RowError(5, "性别", "gender_mismatch", {"expected": Term(N_("male"))})
    assert error.message("zh").endswith("（按身份证号应为男）")
    assert error.message("en").endswith("(the ID says male)")


@pytest.mark.parametrize("language", ["fr", "zh_TW", "", None])
def test_an_unknown_language_falls_back_to_chinese(language):
    assert duplicate_id().message(language) == ZH
    assert text(language, "same ID number as row {others}", others="2") == "身份证号与第 2 行重复"


def test_a_text_not_in_the_catalogue_shows_as_written():
    assert text("zh", "no such text {n}", n=1) == "no such text 1"


# -- (c) a source checkout that was never built ---------------------------------------------


def test_a_fresh_checkout_without_mo_files_speaks_chinese(checkout_locale, fresh_translators):
    assert translator("zh", checkout_locale).gettext("file does not exist") == "文件不存在"
    assert translator("en", checkout_locale).gettext("file does not exist") == "file does not exist"


def test_the_roster_speaks_chinese_from_a_fresh_checkout(
    checkout_locale, fresh_translators, monkeypatch
):
    monkeypatch.setattr(i18n, "LOCALE_DIR", checkout_locale)
    assert duplicate_id().message("zh") == ZH
    assert duplicate_id().message("en") == EN


def test_a_stale_mo_file_is_not_read(checkout_locale, fresh_translators):
    """A .mo older than its .po (an old build, then a pull) must not hide the new texts."""
    po = i18n.po_path("zh_CN", checkout_locale)
    mo = po.with_suffix(".mo")
    mo.write_bytes(_empty_mo())
    stat = po.stat()
    os.utime(mo, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))
    assert translator("zh", checkout_locale).gettext("file does not exist") == "文件不存在"
    # ...while a current one is what is read.
    os.utime(mo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    translator.cache_clear()
    assert translator("zh", checkout_locale).gettext("file does not exist") == "file does not exist"


def _empty_mo() -> bytes:
    """A valid .mo holding no texts."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, Catalog(locale="zh_CN"))
    return buffer.getvalue()


# -- extraction and catalogue upkeep ---------------------------------------------------------


def test_extraction_finds_marked_literals_only(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "from yinhui.i18n import N_, translator\n"
        "_ = translator('zh').gettext\n"
        "name = 'x'\n"
        "a = _('plain {n}')\n"
        "b = N_('marked ' 'joined')\n"
        "c = _(name)\n"
        "d = translator('en').ngettext('{n} task', '{n} tasks', 3)\n"
        "e = translator('en').ngettext('{n} item', name, 3)\n"
        "rows, _ = divmod(7, 2)\n",
        encoding="utf-8",
    )
    found = i18n.extract(tmp_path, ["pkg"])
    assert found == {
        "plain {n}": ["pkg/m.py:4"],
        "marked joined": ["pkg/m.py:5"],
        ("{n} task", "{n} tasks"): ["pkg/m.py:7"],
    }


def test_update_keeps_translations_adds_plurals_and_drops_stale_texts(
    checkout_locale, monkeypatch
):
    monkeypatch.setattr(i18n, "LOCALE_DIR", checkout_locale)
    found = {
        "file does not exist": ["yinhui/roster/messages.py:1"],
        "a new text {n}": ["yinhui/x.py:1"],
        ("{n} task", "{n} tasks"): ["yinhui/x.py:2"],
    }
    monkeypatch.setattr(i18n, "extract", lambda: found)
    i18n.update()
    zh = i18n.read_catalog("zh_CN")
    assert {m.id if isinstance(m.id, str) else tuple(m.id) for m in zh if m.id} == set(found)
    assert zh.get("file does not exist").string == "文件不存在"
    assert zh.get("{n} task").string == ("",)
    assert "yinhui/x.py:2" not in i18n.po_path("zh_CN").read_text(encoding="utf-8")  # no line numbers
    assert sorted(problems()) == [
        "zh_CN: not translated: 'a new text {n}'",
        "zh_CN: not translated: '{n} task'",
    ]
    plural = zh.get("{n} task")
    plural.string = ("{n} 项任务",)
    new = zh.get("a new text {n}")
    new.string = "新的文字"
    i18n.write_catalog("zh_CN", zh)
    assert problems() == ["zh_CN: placeholders differ from the English: 'a new text {n}'"]


# -- (d) the build compiles the catalogues ---------------------------------------------------


def _builds_without_isolation() -> bool:
    """Whether this environment can build a wheel itself (setuptools with bdist_wheel)."""
    version = tuple(int(part) for part in importlib.metadata.version("setuptools").split(".")[:2])
    has_bdist_wheel = version >= (70, 1) or importlib.util.find_spec("wheel") is not None
    return version >= (68, 0) and has_bdist_wheel and importlib.util.find_spec("babel") is not None


def test_the_wheel_carries_compiled_catalogues(tmp_path):
    # Built from a copy: an in-tree build would write build/ and yinhui.egg-info into the working
    # tree; the copy also has no .mo files, so any .mo in the wheel was made by the build.
    source = tmp_path / "src"
    source.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in i18n.SOURCE_PACKAGES:
        shutil.copytree(
            ROOT / package, source / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"),
        )  # fmt: skip
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
               "-q", "-w", str(tmp_path / "dist"), str(source)]  # fmt: skip
    if _builds_without_isolation():
        command.insert(4, "--no-build-isolation")
    built = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("yinhui-*.whl")

    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for locale in ("zh_CN", "en"):
            assert f"yinhui/locale/{locale}/LC_MESSAGES/yinhui.mo" in names
        archive.extractall(installed, [n for n in names if n.endswith(".mo")])
    locale_dir = installed / "yinhui" / "locale"

    # What any gettext reader gets from the wheel's .mo files: the whole zh_CN catalogue.
    zh = gettext.translation("yinhui", localedir=locale_dir, languages=["zh_CN"])
    assert zh.gettext("file does not exist") == "文件不存在"
    catalog = i18n.read_catalog("zh_CN")
    for message in catalog:
        if message.id and isinstance(message.id, str):
            assert zh.gettext(message.id) == message.string
    en = gettext.translation("yinhui", localedir=locale_dir, languages=["en"])
    assert en.gettext("file does not exist") == "file does not exist"
