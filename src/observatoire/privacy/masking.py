"""Masks for the examples shown in findings: enough to recognise the kind of data, never the data.

The masks use ``*`` so that a masked example can never be mistaken for the real thing by the
rules themselves (reports and gate summaries are published and re-scanned).
"""

from __future__ import annotations

import re


def _star_word(word: str, keep: int = 1) -> str:
    # A fixed number of stars: the length of a name is a clue too.
    return word[:keep] + "***" if word else word


def mask_email(text: str) -> str:
    normalised = re.sub(r"\s?[\[(](?:at|arobase)[\])]\s?", "@", text)
    local, _, domain = normalised.partition("@")
    host, dot, tld = domain.rpartition(".")
    return f"{_star_word(local)}@{_star_word(host)}{dot}{tld}"


def mask_phone(text: str) -> str:
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.strip().startswith("+") or digits.startswith("0033"):
        digits = "0" + digits[-9:]  # +33 6 12 … shown as 06 … like a national number
    return f"{digits[:2]} ** ** ** {digits[-2:]}"


def mask_keep_ends(text: str, head: int, tail: int) -> str:
    """Keeps ``head`` and ``tail`` letters/digits, stars the others, keeps separators."""
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    keep = set(positions[:head]) | set(positions[len(positions) - tail :] if tail else [])
    return "".join(ch if (i in keep or not ch.isalnum()) else "*" for i, ch in enumerate(text))


def _iban_part(text: str) -> str:
    """Only the IBAN itself when the pattern also caught a following word."""
    from .checks import IBAN_LENGTHS

    length = IBAN_LENGTHS.get(text[:2].upper())
    if length is None:
        return text
    kept, seen = [], 0
    for ch in text:
        if seen == length:
            break
        kept.append(ch)
        seen += ch.isalnum()
    return "".join(kept)


def mask_ipv4(text: str) -> str:
    first = text.split(".")[0]
    return f"{first}.*.*.*"


def mask_ipv6(text: str) -> str:
    return text.split(":")[0] + ":****:…"


def mask_person_title(text: str) -> str:
    parts = text.split()
    if len(parts) < 2:
        return _star_word(text)
    return " ".join(parts[:-1]) + " " + _star_word(parts[-1])


def mask_generic(text: str) -> str:
    text = str(text)
    if len(text) <= 2:
        return "*" * len(text)
    return text[0] + "***"  # fixed length: the length of a value is a clue too


def mask(kind: str, text: str) -> str:
    if kind == "email":
        return mask_email(text)
    if kind == "phone":
        return mask_phone(text)
    if kind == "plate":
        return mask_keep_ends(text, 1, 1)
    if kind == "iban":
        return mask_keep_ends(_iban_part(text), 2, 2)
    if kind == "nir":
        return mask_keep_ends(text, 0, 2)
    if kind == "card":
        return mask_keep_ends(text, 0, 4)
    if kind == "ipv4":
        return mask_ipv4(text)
    if kind == "ipv6":
        return mask_ipv6(text)
    if kind == "person_title":
        return mask_person_title(text)
    return mask_generic(text)
