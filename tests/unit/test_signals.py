"""Solicitation signals: which texts read as taking clients along, and which do not."""

from __future__ import annotations

import pytest

from server.model import DEFAULT_WEBMAIL_DOMAINS, normalise_address
from server.signals import NEW_COMPANY_PHRASE, PERSONAL_EMAIL, PHONE_NUMBER, Signal, find_signals

PHONE, EMAIL, PHRASE = PHONE_NUMBER, PERSONAL_EMAIL, NEW_COMPANY_PHRASE
WEBMAIL = frozenset(DEFAULT_WEBMAIL_DOMAINS)
PERSONAL = frozenset({normalise_address("alice@smith-family.example").key})


def kinds(text: str, ignore: tuple[str, ...] = ()) -> list[str]:
    ignore_keys = frozenset(normalise_address(a).key for a in ignore)
    signals = find_signals(text, webmail_domains=WEBMAIL, personal_keys=PERSONAL, ignore_keys=ignore_keys)
    return [s.kind for s in signals]


TEXTS = [
    # text                                                   signal kinds
    # phone numbers
    pytest.param("Teléfono: 612 345 678.",                     [PHONE],  id="Spanish mobile, spaced"),
    pytest.param("Móvil: +34 612 34 56 78",                    [PHONE],  id="Spanish mobile with country code"),
    pytest.param("Móvil: 0034612345678",                       [PHONE],  id="Spanish mobile with 00 prefix"),
    pytest.param("Мой номер +7 916 123-45-67",                 [PHONE],  id="Russian mobile with +7"),
    pytest.param("Звоните: 8 (916) 123-45-67",                 [PHONE],  id="Russian mobile with 8 and brackets"),
    pytest.param("Cell (415) 555-0132 any time",               [PHONE],  id="US number with area code in brackets"),
    pytest.param("Cell +1 415.555.0132",                       [PHONE],  id="US number with dots"),
    pytest.param("Mobile 07700 900123",                        [PHONE],  id="UK mobile, national"),
    pytest.param("Mobile +44 7700 900123",                     [PHONE],  id="UK mobile, international"),
    pytest.param("612 345 678 from 22.11.2026",                [PHONE],  id="a phone followed by a date"),
    # not phone numbers
    pytest.param("The contract ends on 22.11.2026.",           [],       id="a European date"),
    pytest.param("The contract ends on 2026-11-22.",           [],       id="an ISO date"),
    pytest.param("Closed 24.12.2026-6.1.2027.",                [],       id="a date range"),
    pytest.param("From 22.11.2026 - 30.11.2026",               [],       id="a spaced date range"),
    pytest.param("See ticket 12345678.",                       [],       id="an eight-digit reference"),
    pytest.param("Room 101, floor 3, ext. 4521",               [],       id="short numbers"),
    pytest.param("Order ID123456789",                          [],       id="digits glued to letters"),
    pytest.param("Version 1.2.3 ships on 22/11/2026",          [],       id="a version and a slashed date"),
    # phrases, English
    pytest.param("Here are the details of my new company.",   [PHRASE], id="English: my new company"),
    pytest.param("MY NEW ROLE starts in January",              [PHRASE], id="English: my new role in capitals"),
    pytest.param("Let's keep in touch!",                       [PHRASE], id="English: keep in touch"),
    pytest.param("You can reach me at the usual place",        [PHRASE], id="English: reach me at"),
    pytest.param("I'm joining at Fabrikam next month",         [PHRASE], id="English: I'm joining at"),
    # phrases, Spanish
    pytest.param("Te presento mi nueva empresa",               [PHRASE], id="Spanish: mi nueva empresa"),
    pytest.param("MI NUEVA COMPAÑÍA abre en enero",            [PHRASE], id="Spanish: mi nueva compañía in capitals"),
    pytest.param("Sigamos en contacto",                        [PHRASE], id="Spanish: sigamos en contacto"),
    pytest.param("Escríbeme a mi correo personal",             [PHRASE], id="Spanish: escríbeme a, mi correo personal"),
    # phrases, Russian, with inflections
    pytest.param("Это моя новая компания",                     [PHRASE], id="Russian: моя новая компания"),
    pytest.param("Перехожу в мою новую компанию",              [PHRASE], id="Russian: accusative"),
    pytest.param("Расскажу о моей новой компании",             [PHRASE], id="Russian: prepositional"),
    pytest.param("Работаю с моей новой компанией",             [PHRASE], id="Russian: instrumental"),
    pytest.param("МОЯ НОВАЯ РАБОТА",                           [PHRASE], id="Russian: capitals"),
    pytest.param("Запишите мой новый номер",                   [PHRASE], id="Russian: мой новый номер"),
    pytest.param("О моём новом работодателе позже",            [PHRASE], id="Russian: моём новом with ё"),
    pytest.param("Давайте оставаться на связи",                [PHRASE], id="Russian: оставаться на связи"),
    pytest.param("Пишите мне на личную почту",                 [PHRASE], id="Russian: пишите мне на"),
    pytest.param("Вот моя личная почта",                       [PHRASE], id="Russian: моя личная почта"),
    # personal e-mail addresses
    pytest.param("Write to alice.next@yahoo.com",              [EMAIL],  id="an address on webmail"),
    pytest.param("Write to alice.next@gmx.de.",                [EMAIL],  id="an address on a gmx.* domain"),
    pytest.param("Write to Alice+x@Smith-Family.example",      [EMAIL],  id="a known personal address off webmail"),
    pytest.param("Write to ana@contoso.example",               [],       id="an address at a company"),
    # ordinary business mail
    pytest.param("Bob takes over the account from Monday.",    [],       id="a handover note"),
    pytest.param("Our new company policy applies from May.",   [],       id="new company policy is not my new company"),
    pytest.param("",                                           [],       id="an empty body"),
    # several at once, in order of appearance
    pytest.param("My new number: 612 345 678, or alice.next@yahoo.com.", [PHONE, EMAIL, PHRASE],
                 id="one of each kind"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_find_signals(text, expected):
    assert set(kinds(text)) == set(expected)


def test_signals_keep_the_matched_text():
    signals = find_signals(
        "Call +7 916 123-45-67 or Alice.Next@Yahoo.com", webmail_domains=WEBMAIL, personal_keys=frozenset()
    )

    assert signals == [Signal(PHONE, "+7 916 123-45-67"), Signal(EMAIL, "alice.next@yahoo.com")]


def test_a_repeated_signal_is_reported_once():
    assert kinds("Stay in touch. Really, stay in touch! 612 345 678, again 612 345 678") == [PHONE, PHRASE]


IGNORED = [
    # text                                            ignored recipients   signal kinds
    pytest.param("On Monday dan@gmail.com wrote:",     ("dan@gmail.com",),  [],      id="a recipient quoted back"),
    pytest.param("On Monday d.a.n+x@gmail.com wrote:", ("dan@gmail.com",),  [],      id="matched by address key"),
    pytest.param("Write to alice.next@yahoo.com",      ("dan@gmail.com",),  [EMAIL], id="another address still counts"),
    pytest.param("dan@gmail.com, +34 612 345 678",     ("dan@gmail.com",),  [PHONE], id="phones are not ignored"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "ignore", "expected"), IGNORED)
def test_ignore_keys_are_not_signals(text, ignore, expected):
    assert kinds(text, ignore) == expected
