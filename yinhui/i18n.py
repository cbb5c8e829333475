"""User-facing text in the bureau's language: gettext catalogues under yinhui/locale (zh_CN default, en).

Message ids are English; the zh_CN catalogue carries the Chinese. Code that renders a message asks
for the translator of the reader's language and marks each text with ``_``::

    _ = translator("zh").gettext
    _("{count} tasks today").format(count=3)

Texts kept in tables are marked with ``N_`` (which returns its argument untouched) so that extraction
finds them, and translated where they are shown. The catalogues are compiled to ``.mo`` files when
the package is built or installed; in a source checkout that was never built, the ``.po`` file is
compiled in memory on first use, so a fresh clone speaks Chinese too.

``python -m yinhui.i18n update`` re-extracts the texts and merges them into both catalogues;
``python -m yinhui.i18n check`` (run by the test suite) fails when the code and the catalogues
disagree. Plurals: ``ngettext("{n} task", "{n} tasks", n)`` is one catalogue entry.

Extraction reads every call of ``_``, ``N_``, ``gettext`` and ``ngettext`` with string literals in
SOURCE_PACKAGES, methods of any object included (``x.gettext("...")``), so those names are reserved
for catalogue texts there (``_`` as a throwaway variable is fine as long as it is never called with
a string). F-strings are skipped with a warning: mark ``"{name}"`` and ``.format`` it instead.
"""

from __future__ import annotations

import gettext
import io
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

DOMAIN = "yinhui"
LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES = {"zh": "zh_CN", "en": "en"}
DEFAULT_LOCALE = "zh_CN"
# Where the texts live: the packages whose modules mark text with _ / N_ / ngettext.
SOURCE_PACKAGES = ("yinhui", "flows", "notifiers", "deployments", "models")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Marks a text for extraction without translating it (it is translated where it is shown)."""
    return text


def po_path(locale: str, locale_dir: Path | None = None) -> Path:
    return (locale_dir or LOCALE_DIR) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(po: Path) -> bytes:
    """The .mo bytes of a .po catalogue (fuzzy entries are left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@lru_cache(maxsize=8)
def translator(language: str | None, locale_dir: Path | None = None) -> gettext.NullTranslations:
    """The translations for a language code ("zh", "en"); unknown codes get the default (zh_CN).

    ``locale_dir`` (default: the package's yinhui/locale) lets a test load other catalogues.
    """
    locale = LOCALES.get(language or "", DEFAULT_LOCALE)
    po = po_path(locale, locale_dir)
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.exists():
        return gettext.GNUTranslations(io.BytesIO(compile_po(po)))
    return gettext.NullTranslations()


def text(language: str | None, message: str, /, **values: object) -> str:
    """One translated text with its {placeholders} filled in."""
    translated = translator(language).gettext(message)
    return translated.format(**values) if values else translated


def error_text(error: BaseException, language: str | None) -> str:
    """What an error says, in a reader's language.

    A domain error renders itself (``render``); an error that keeps its catalogue text and values
    (``message``, ``values``: the rules' errors) is translated here; one that words itself
    (``message(lang)``: the roster's) is asked; any other says what ``str`` says.
    """
    render = getattr(error, "render", None)
    if callable(render):
        return str(render(language))
    message, values = getattr(error, "message", None), getattr(error, "values", None)
    if isinstance(message, str) and isinstance(values, dict):
        return text(language, message, **values)
    if callable(message):
        return str(message("en" if language == "en" else "zh"))
    return str(error)


# -- catalogue maintenance (run by developers and by the test suite) --------------------------


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


MessageId = str | tuple[str, str]  # a text, or (singular, plural) of an ngettext call


def extract(
    root: Path | None = None, packages: Iterable[str] = SOURCE_PACKAGES
) -> dict[MessageId, list[str]]:
    """Every marked text in the source, with where it was found (file:line)."""
    from babel.messages.extract import extract_from_file

    found: dict[MessageId, list[str]] = {}
    root = root or _project_root()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                if isinstance(message, tuple):
                    # ngettext: babel leaves a non-literal argument out as None.
                    if len(message) != 2 or not all(message):
                        continue
                    msgid: MessageId = (message[0], message[1])
                elif message:
                    msgid = message
                else:
                    continue
                found.setdefault(msgid, []).append(f"{path.relative_to(root).as_posix()}:{lineno}")
    return found


def _singular(msgid: MessageId) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _texts(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A babel message's id or string as a tuple (one item, or one per plural form)."""
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def _message_id(ids: tuple[str, ...]) -> MessageId:
    return ids[0] if len(ids) == 1 else (ids[0], ids[1])


def read_catalog(locale: str) -> Catalog:
    """A catalogue as babel reads it (``catalog.get(msgid)`` gives one entry)."""
    from babel.messages.pofile import read_po

    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def write_catalog(locale: str, catalog: Catalog) -> None:
    """Write a catalogue the one way the project keeps them (sorted, files without line numbers).

    Line numbers are left out so that a catalogue changes only when texts do, not whenever code
    above a text moves: engineers converting different modules do not collide in the .po files.
    """
    from babel.messages.pofile import write_po

    po_path(locale).parent.mkdir(parents=True, exist_ok=True)
    with po_path(locale).open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)


_PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def placeholders(text: str) -> set[str]:
    """The {names} a text fills in (``{month:02d}`` counts as ``month``)."""
    return set(_PLACEHOLDER.findall(text))


def problems() -> list[str]:
    """What is wrong between the code and the catalogues; empty when they agree."""
    found = extract()
    out: list[str] = []
    for locale in LOCALES.values():
        if not po_path(locale).exists():
            out.append(f"{po_path(locale)}: missing (run python -m yinhui.i18n update)")
            continue
        catalog = read_catalog(locale)
        entries = {_texts(m.id)[0]: m for m in catalog if m.id}
        wanted = {_singular(msgid): msgid for msgid in found}
        for key in sorted(set(wanted) - set(entries)):
            out.append(f"{locale}: not in the catalogue: {key!r} ({found[wanted[key]][0]})")
        for key in sorted(set(entries) - set(wanted)):
            out.append(f"{locale}: no longer in the code: {key!r}")
        for key in sorted(set(entries) & set(wanted)):
            message = entries[key]
            ids, strings = _texts(message.id), _texts(message.string)
            if _message_id(ids) != wanted[key]:
                out.append(f"{locale}: singular/plural differ from the code: {key!r}")
            if locale == DEFAULT_LOCALE and (not all(strings) or message.fuzzy):
                out.append(f"{locale}: not translated: {key!r}")
                continue
            english = set().union(*(placeholders(i) for i in ids))
            if any(string and placeholders(string) != english for string in strings):
                out.append(f"{locale}: placeholders differ from the English: {key!r}")
    return out


def update() -> None:
    """Add newly marked texts to both catalogues (untranslated) and drop texts no longer used."""
    from babel.messages.catalog import Catalog

    found = extract()
    for locale in LOCALES.values():
        old = read_catalog(locale) if po_path(locale).exists() else Catalog(locale=locale)
        new = Catalog(
            locale=locale, domain=DOMAIN, project="Yinhui", version="", copyright_holder="the Yinhui authors",
            msgid_bugs_address="", charset="utf-8", fuzzy=False,
            header_comment=f"# {locale} texts of Yinhui (银辉). Edit msgstr only; `python -m yinhui.i18n update` keeps msgids in step with the code.",
        )
        new.creation_date = old.creation_date
        new.revision_date = old.creation_date
        for msgid, where in sorted(found.items(), key=lambda item: _singular(item[0])):
            previous = old.get(_singular(msgid))
            string: str | tuple[str, ...] = "" if isinstance(msgid, str) else ("",) * new.num_plurals
            # A translation is kept only while the entry keeps its shape (plain text or plural).
            if previous is not None and _message_id(_texts(previous.id)) == msgid:
                kept = _texts(previous.string)
                string = kept[0] if isinstance(msgid, str) else kept
            locations = [(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where]
            new.add(msgid, string, locations=locations)
        write_catalog(locale, new)


def compile_all(target: Path | None = None) -> list[Path]:
    """Write the .mo beside each .po (or under ``target``, a build directory's yinhui/locale)."""
    written = []
    for locale in LOCALES.values():
        po = po_path(locale)
        if not po.exists():
            continue
        mo = (target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo") if target else po.with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        mo.write_bytes(compile_po(po))
        written.append(mo)
    return written


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "check"
    if command == "update":
        update()
        return 0
    if command == "compile":
        for path in compile_all():
            print(path)
        return 0
    if command == "check":
        issues = problems()
        for line in issues:
            print(line, file=sys.stderr)
        return 1 if issues else 0
    print("usage: python -m yinhui.i18n [check|update|compile]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
