"""Column names that denote personal data (French and English), matched on normalised words.

Matching whole words, not substrings, is what keeps ``nombre``, ``nb_faits`` or ``numero_arrete``
from being read as "nom"; the strong/weak split (see ``expectations/personal_data_columns.yml``)
keeps ``nom_poi`` or ``place_name`` apart from a person's ``nom`` or ``name``.
"""

from __future__ import annotations

import re
import unicodedata

from .rules import ColumnNameRules, column_rules

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^a-z]+")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_words(column: str, stopwords: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """``"dateDeNaissance"`` -> ``("date", "naissance")``; ``"E-Mail_2"`` -> ``("e", "mail")``."""
    spaced = _CAMEL.sub(" ", strip_accents(column))
    words = _SEPARATORS.split(spaced.lower())
    return tuple(w for w in words if w and w not in stopwords)


def _contains_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def personal_name_reason(column: str, rules: ColumnNameRules | None = None) -> str | None:
    """Why ``column`` names personal data (a short phrase), or ``None`` when it does not."""
    rules = rules or column_rules()
    words = name_words(column, rules.stopwords)
    joined = "".join(words)
    for word in words:
        if word in rules.strong_words:
            return f"the word '{word}' denotes personal data"
    # "E_MAIL" or "emailAddress" split differently: also try the glued form against strong words.
    if joined in rules.strong_words:
        return f"the name '{joined}' denotes personal data"
    for phrase in rules.phrases:
        if _contains_phrase(words, phrase):
            return f"the words '{' '.join(phrase)}' denote personal data"
    weak = [w for w in words if w in rules.weak_words]
    if weak and not any(w in rules.object_words for w in words):
        return (
            f"the word '{weak[0]}' denotes personal data when nothing says it belongs to a place or an event"
        )
    return None
