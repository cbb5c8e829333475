"""A bureau's own words for the staff sheet (`yinhui import-staff`): more headers for its columns.

The staff sheet's built-in headers (姓名, 角色, 网格, 电话 and their synonyms) and role words
(工作人员, 网格员, 领导 ...) sit in the one table, ``yinhui.roster.synonyms``; a bureau adds its
own in the playbook's ``[roster]`` section: headers under ``[roster.staff_column_synonyms]``,
role words under ``[roster.value_synonyms.role]`` (taken in by ``Vocabulary.extended`` like every
other value word). This module adds the headers, refusing a word that already names another
staff column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from yinhui.roster.synonyms import Vocabulary, VocabularyError, word_key

STAFF_FIELDS: tuple[str, ...] = ("name", "role", "grids", "phone")


def with_staff_words(vocabulary: Vocabulary, column_synonyms: Mapping[str, Iterable[str]] | None) -> Vocabulary:
    """``vocabulary`` with the bureau's headers for the staff sheet's columns added.

    Raises VocabularyError naming the playbook key when a column is unknown or a header already
    names another staff column.
    """
    if not column_synonyms:
        return vocabulary
    headers = {f: list(hs) for f, hs in vocabulary.staff_headers.items()}
    for name, words in column_synonyms.items():
        key = f"roster.staff_column_synonyms.{name}"
        if name not in headers:
            raise VocabularyError(key, f"no staff sheet column is called {name!r}")
        for word in words:
            if not isinstance(word, str) or not word_key(word):
                raise VocabularyError(key, f"{word!r} is not a word")
            owner = next((f for f, hs in headers.items() if any(word_key(h) == word_key(word) for h in hs)), None)
            if owner not in (None, name):
                raise VocabularyError(key, f"{word!r} already names the column {owner!r}")
            if owner is None:
                headers[name].append(word)
    return replace(vocabulary, staff_headers=MappingProxyType({f: tuple(hs) for f, hs in headers.items()}))
