"""Checks in code for the value rules whose pattern alone would raise false alarms.

Each check takes the text matched by the rule's pattern (and the whole value, for context) and
answers whether it really is personal data: a checksum that passes by chance on 1 number in 10
(Luhn) or 97 (NIR, IBAN) is far rarer than a pattern that merely has the right shape.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from .names import strip_accents
from .rules import ValueRule

_NON_DIGIT = re.compile(r"[^0-9]")
_SEPARATOR = re.compile(r"[ .-]")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_issuer_ok(digits: str) -> bool:
    """A number that starts and is as long as a real card scheme's (ISO/IEC 7812 ranges)."""
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":  # Visa, Carte Bancaire co-badged Visa
        return n in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard, CB co-badged Mastercard
        return n == 16
    if two in (34, 37):  # American Express
        return n == 15
    if four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649 or 622126 <= six <= 622925:
        return 16 <= n <= 19  # Discover / UnionPay co-branded
    if 3528 <= four <= 3589:  # JCB
        return 16 <= n <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners Club
        return 14 <= n <= 19
    if two == 62:  # UnionPay
        return 16 <= n <= 19
    return False


def card_number_ok(match: str) -> bool:
    # The pattern is greedy: "4970 1012 3456 7890 12" may be a card followed by another number,
    # so every run of whole groups from the start is tried.
    groups = [g for g in re.split(r"[ -]", match) if g]
    for end in range(len(groups), 0, -1):
        digits = "".join(groups[:end])
        if 13 <= len(digits) <= 19 and _card_issuer_ok(digits) and luhn_ok(digits):
            return True
    return False


def nir_key_ok(match: str) -> bool:
    """French NIR: 13 characters then a key equal to 97 - (number mod 97).

    Corsica: department 2A counts as 19 and 2B as 18, i.e. the letter read as 0 and 1,000,000 or
    2,000,000 taken off the number.
    """
    compact = _SEPARATOR.sub("", match).upper()
    if len(compact) != 15:
        return False
    body, key = compact[:13], compact[13:]
    offset = 0
    if body[5:7] == "2A":
        body, offset = body[:5] + "20" + body[7:], 1_000_000
    elif body[5:7] == "2B":
        body, offset = body[:5] + "20" + body[7:], 2_000_000
    if not body.isdigit() or not key.isdigit():
        return False
    return 97 - (int(body) - offset) % 97 == int(key)


# ISO 13616 lengths of the IBANs most likely to appear in French data (Europe and neighbours).
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "DZ": 26, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MA": 28, "MC": 27,
    "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26,
}  # fmt: skip


def _iban_mod97_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def iban_ok(match: str) -> bool:
    compact = match.replace(" ", "").upper()
    country = compact[:2]
    length = IBAN_LENGTHS.get(country)
    if length is None or len(compact) < length:
        return False
    # The pattern may have swallowed a following word: only the country's length counts.
    return _iban_mod97_ok(compact[:length])


def ipv6_ok(match: str) -> bool:
    try:
        ipaddress.IPv6Address(match)
    except ValueError:
        return False
    groups = [g for g in match.split(":") if g]
    # "10::30" is valid IPv6 but reads as a typo of a time: ask for a hex letter or 4 groups.
    return bool(re.search(r"[A-Fa-f]", match)) or len(groups) >= 4


# A title right after one of these words is part of a place's name honouring someone.
_PLACE_BEFORE = re.compile(
    r"(?:rue|avenue|av|boulevard|bd|bld|blvd|place|pl|quai|cours|allee|allees|impasse|square|chemin|"
    r"traverse|montee|passage|esplanade|parvis|rond-point|pont|jardin|jardins|parc|stade|gymnase|"
    r"ecole|college|lycee|hopital|clinique|fondation|institut|centre|salle|espace|residence|cite|"
    r"villa|piscine|bibliotheque|mediatheque|theatre|musee|halle|street|road|hospital|school|"
    r"groupe scolaire|maison|foyer|eglise|chapelle|station|arret|metro)\.?\s+"
    r"(?:(?:du|de la|de l'|de l’|des|de|d'|d’|the)\s*)?$"
)


def person_title_ok(match: str, value: str, start: int, rule: ValueRule) -> bool:
    before = strip_accents(value[max(0, start - 40) : start]).lower()
    if _PLACE_BEFORE.search(before):
        return False
    tail = value[start:]
    return not any(tail.startswith(phrase) for phrase in rule.allowed_phrases)


MatchCheck = Callable[[str, str, int, ValueRule], bool]
"""(matched text, whole value, start of the match, rule) -> is it personal data?"""

CHECKS: dict[str, MatchCheck] = {
    "luhn": lambda m, v, s, r: card_number_ok(m),
    "nir_key": lambda m, v, s, r: nir_key_ok(m),
    "iban_mod97": lambda m, v, s, r: iban_ok(m),
    "ipv6": lambda m, v, s, r: ipv6_ok(m),
    "person_title": person_title_ok,
}
