"""The one build step pyproject.toml cannot declare: compile the gettext catalogues into the package.

Every `pip install` (wheel or editable) runs build_py, which here also turns each
yinhui/locale/<locale>/LC_MESSAGES/yinhui.po into its .mo beside it in the built package.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def _compile(po: Path, mo: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as handle:
        write_mo(handle, catalog, use_fuzzy=False)


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "yinhui" / "locale"
        # An editable install runs the package from the source tree, so its catalogues go there.
        target = source if getattr(self, "editable_mode", False) else Path(self.build_lib) / "yinhui" / "locale"
        for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
            _compile(po, target / po.relative_to(source).with_suffix(".mo"))


setup(cmdclass={"build_py": BuildPyWithCatalogues})
