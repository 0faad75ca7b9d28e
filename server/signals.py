"""Solicitation signals: what in a leaver's mail to a client suggests taking the client along.

Three kinds, each a small detector over plain text: a phone number, a personal
(webmail or known private) e-mail address, and "my new company / stay in touch"
phrases in English, Spanish and Russian.

Pure: stdlib and `model` only; must not import Flask, SQLAlchemy or the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import InvalidAddress, is_webmail_domain, normalise_address

PHONE_NUMBER = "phone_number"
PERSONAL_EMAIL = "personal_email"
NEW_COMPANY_PHRASE = "new_company_phrase"

# Nine to fifteen digits (E.164 allows fifteen), optionally with +, spaces, dots,
# dashes or brackets between them. Nine keeps dates ("22.11.2026") and short
# reference numbers out while every mobile format we know (ES 9, RU/UK 11,
# US 10 digits) is in.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s().\-]{7,22}\d(?!\w)")
_DATE_LIKE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")
# Dates are blanked out before looking for phones, so a range ("1.12.2026-5.12.2026")
# or a date next to a number does not add up to nine digits.
_DATE = re.compile(r"(?<![\d.])\d{1,2}[./]\d{1,2}[./]\d{2,4}(?![\d.])|(?<![\d\-])\d{4}-\d{1,2}-\d{1,2}(?![\d\-])")
# The local part is bounded (64, RFC 5321) and anchored, so a long run of letters
# costs linear time rather than quadratic.
_EMAIL = re.compile(r"(?<![\w.+\-'])[\w.+\-']{1,64}@[\w\-]+(?:\.[\w\-]+)+")

_PHRASES = [
    # English
    r"my new (?:company|employer|firm|role|job|position|team|e-?mail|number|address)",
    r"(?:stay|keep) in touch",
    r"(?:reach|contact|find) me (?:at|on|via)",
    r"my (?:personal|private) (?:e-?mail|phone|number|mobile|cell)",
    r"(?:i am|i'm|i will be) (?:moving|joining|starting) (?:to|at)",
    r"follow me to",
    # Spanish
    r"mi nueva (?:empresa|compañía|compania|firma|dirección|direccion)",
    r"mi nuevo (?:puesto|trabajo|empleo|cargo|número|numero|correo|empleador)",
    r"(?:sigamos|seguir|seguimos|mantengamos|mantenernos|estemos) en contacto",
    r"mi (?:correo|teléfono|telefono|móvil|movil|número|numero|email) (?:personal|privado)",
    r"(?:contáctame|contactame|escríbeme|escribeme|llámame|llamame) (?:a|al|en)",
    # Russian
    r"мо(?:я|ю|ей) нов(?:ая|ую|ой) (?:компани[яюие]|работ[аеуыо]|должност[ьи])",
    r"в новой компании",
    r"мо(?:й|его|ем|ём) нов(?:ый|ого|ом) (?:номер|телефон|адрес|работодател[ьяе]|e-?mail)",
    r"(?:оставайтесь|останемся|остаёмся|остаемся|будем|давайте оставаться) на связи",
    r"мо(?:й|я|ю|ей) личн(?:ый|ая|ую|ой) (?:телефон|номер|адрес|почт[аеуы]|e-?mail|мобильный)",
    r"(?:пишите|звоните|напишите|позвоните) мне (?:на|по)",
]
# One pattern each over the lowercased body: a single alternation of them all
# defeats the regex engine's literal-prefix search and was five times slower.
_PHRASE_PATTERNS = [re.compile(p) for p in _PHRASES]
# A run of the characters a phone number is written with; every phone match lies inside one.
_PHONE_RUN = re.compile(r"[+\d][\d\s().\-]*\d")


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str
    match: str


def find_signals(
    body: str,
    *,
    webmail_domains: frozenset[str],
    personal_keys: frozenset[str],
    ignore_keys: frozenset[str] = frozenset(),
) -> list[Signal]:
    """Every solicitation signal in `body`, grouped by kind, at most one per distinct match.

    `ignore_keys` are address keys that are not a signal even on webmail (the
    message's own recipients, quoted back in a reply).
    """
    found = _phones(body)
    if "@" in body:
        found += _personal_emails(body, webmail_domains, personal_keys, ignore_keys)
    lowered = body.lower()
    found += [Signal(NEW_COMPANY_PHRASE, m.group(0)) for p in _PHRASE_PATTERNS for m in p.finditer(lowered)]
    unique = {(s.kind, s.match.lower()): s for s in found}
    return list(unique.values())


def _phones(body: str) -> list[Signal]:
    """Phone numbers, looked for only inside runs of phone characters (with one character of context)."""
    signals = []
    for run in _PHONE_RUN.finditer(body):
        if run.end() - run.start() < 9:
            continue
        window = body[max(run.start() - 1, 0) : run.end() + 1]
        for match in _PHONE.finditer(_DATE.sub("|", window)):
            text = match.group(0).strip()
            digits = sum(ch.isdigit() for ch in text)
            if 9 <= digits <= 15 and not _DATE_LIKE.match(text):
                signals.append(Signal(PHONE_NUMBER, text))
    return signals


def _personal_emails(
    body: str, webmail_domains: frozenset[str], personal_keys: frozenset[str], ignore_keys: frozenset[str]
) -> list[Signal]:
    signals = []
    for match in _EMAIL.finditer(body):
        try:
            address = normalise_address(match.group(0))
        except InvalidAddress:
            continue
        if address.key in ignore_keys:
            continue
        if address.key in personal_keys or is_webmail_domain(address.domain, webmail_domains):
            signals.append(Signal(PERSONAL_EMAIL, address.email))
    return signals
