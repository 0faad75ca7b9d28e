"""Addresses and fingerprints: the one parser every match goes through, and what an approval is bound to."""

from __future__ import annotations

import pytest

from server.model import (
    DEFAULT_WEBMAIL_DOMAINS,
    InvalidAddress,
    domain_and_parents,
    fingerprint,
    is_webmail_domain,
    normalise_address,
)
from tests.builders import make_message

# --- normalise_address --------------------------------------------------------------------------------

VALID = [
    # written as                              email (display)                 key (matching)             name
    pytest.param('"Dan Smith" <Dan+offers@Sub.Client.COM>',
                 "dan+offers@sub.client.com",  "dan@sub.client.com",      "Dan Smith",
                 id="display name, plus-tag and capitals"),
    pytest.param("dan@client.example",         "dan@client.example",         "dan@client.example",      "",
                 id="a bare address"),
    pytest.param("  <Dan@Client.Example>  ",   "dan@client.example",         "dan@client.example",      "",
                 id="angle brackets and spaces"),
    pytest.param("DAN.SMITH@CLIENT.EXAMPLE",   "dan.smith@client.example",   "dan.smith@client.example", "",
                 id="lowercased, dots kept outside gmail"),
    pytest.param("dan@client.example.",        "dan@client.example",         "dan@client.example",      "",
                 id="a trailing root dot dropped"),
    pytest.param("anna@münchen.de",            "anna@xn--mnchen-3ya.de",     "anna@xn--mnchen-3ya.de",  "",
                 id="an internationalised domain IDNA-encoded"),
    pytest.param("anna@XN--MNCHEN-3YA.DE",     "anna@xn--mnchen-3ya.de",     "anna@xn--mnchen-3ya.de",  "",
                 id="an already-punycode domain kept"),
    pytest.param("Ana.Lopez+x@Gmail.com",      "ana.lopez+x@gmail.com",      "analopez@gmail.com",      "",
                 id="gmail ignores dots and the plus-tag in the key"),
    pytest.param("ana.lopez@googlemail.com",   "ana.lopez@googlemail.com",   "analopez@gmail.com",      "",
                 id="googlemail is gmail in the key"),
    pytest.param("ana.lopez+x@outlook.com",    "ana.lopez+x@outlook.com",    "ana.lopez@outlook.com",   "",
                 id="other webmail keeps its dots"),
    pytest.param("ana.lopez@gmail.com.example", "ana.lopez@gmail.com.example", "ana.lopez@gmail.com.example", "",
                 id="a domain merely containing gmail.com keeps its dots"),
    pytest.param("+news@client.example",       "+news@client.example",       "+news@client.example",    "",
                 id="a local part that is all plus-tag keeps it"),
]  # fmt: skip


@pytest.mark.parametrize(("written", "email", "key", "name"), VALID)
def test_normalise_address(written, email, key, name):
    address = normalise_address(written)

    assert (address.email, address.key, address.display_name) == (email, key, name)
    assert str(address) == email


def test_the_same_person_spelled_differently_has_one_key():
    spellings = ["Ana.Lopez@gmail.com", "analopez+work@googlemail.com", '"Ana" <A.N.A.L.O.P.E.Z@GMAIL.COM>']

    assert {normalise_address(s).key for s in spellings} == {"analopez@gmail.com"}


INVALID = [
    pytest.param("",                                  id="empty"),
    pytest.param("   ",                               id="only spaces"),
    pytest.param("dan.client.example",                id="no @"),
    pytest.param("@client.example",                   id="no local part"),
    pytest.param("dan@client.example, ana@client.example", id="two addresses separated by a comma"),
    pytest.param("dan@client.example ana@client.example",  id="two addresses separated by a space"),
    pytest.param("dan@localhost",                     id="no dot in the domain"),
    pytest.param("a..b@client.example",               id="two dots in a row in the local part"),
    pytest.param(".ab@client.example",                id="a local part starting with a dot"),
    pytest.param('"a b"@client.example',              id="a space in a quoted local part"),
    pytest.param("dan@" + "x" * 64 + ".example",      id="a domain label longer than 63"),
    pytest.param("dan@client..example",               id="an empty domain label"),
    pytest.param("dan@-client.example",               id="a domain label starting with a hyphen"),
    pytest.param("dan@" + "a" * 60 + "." + ("b" * 60 + ".") * 4 + "example", id="a domain longer than 253"),
    pytest.param("d" * 65 + "@client.example",        id="a local part longer than 64"),
]  # fmt: skip


@pytest.mark.parametrize("written", INVALID)
def test_an_invalid_address_raises_carrying_the_original_value(written):
    with pytest.raises(InvalidAddress) as raised:
        normalise_address(written)

    assert raised.value.value == written
    assert raised.value.reason
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("value", [None, 42, b"dan@client.example"], ids=["None", "a number", "bytes"])
def test_a_value_that_is_not_a_string_raises_invalid_address(value):
    with pytest.raises(InvalidAddress) as raised:
        normalise_address(value)

    assert raised.value.value == str(value)


# --- domains ------------------------------------------------------------------------------------------

PARENTS = [
    pytest.param("client.example",         ["client.example"],                       id="a registered domain"),
    pytest.param("eu.client.example",      ["eu.client.example", "client.example"],  id="one subdomain"),
    pytest.param("a.b.client.example",     ["a.b.client.example", "b.client.example", "client.example"],
                 id="two subdomains, most specific first"),
]  # fmt: skip


@pytest.mark.parametrize(("domain", "parents"), PARENTS)
def test_domain_and_parents(domain, parents):
    assert list(domain_and_parents(domain)) == parents


WEBMAIL = frozenset(DEFAULT_WEBMAIL_DOMAINS)

WEBMAIL_DOMAINS = [
    pytest.param("gmail.com",          True,  id="gmail"),
    pytest.param("mail.ru",            True,  id="mail.ru"),
    pytest.param("yandex.ru",          True,  id="yandex"),
    pytest.param("gmx.de",             True,  id="gmx.de through the gmx.* entry"),
    pytest.param("gmx.net",            True,  id="gmx.net through the gmx.* entry"),
    pytest.param("gmx.example",        True,  id="any last label after gmx"),
    pytest.param("contoso.example",    False, id="a company domain"),
    pytest.param("notgmail.com",       False, id="a domain ending in a webmail name"),
    pytest.param("gmail.com.example",  False, id="a domain starting with a webmail name"),
    pytest.param("gmxx.de",            False, id="a near miss of gmx"),
    pytest.param("mail.gmx.de",        False, id="a subdomain of gmx is not the gmx.* entry"),
]  # fmt: skip


@pytest.mark.parametrize(("domain", "webmail"), WEBMAIL_DOMAINS)
def test_is_webmail_domain(domain, webmail):
    assert is_webmail_domain(domain, WEBMAIL) is webmail


def test_the_webmail_list_is_configurable():
    assert is_webmail_domain("freemail.example", frozenset({"freemail.example"}))
    assert not is_webmail_domain("gmail.com", frozenset({"freemail.example"}))


# --- fingerprint --------------------------------------------------------------------------------------

BASE = dict(
    to=["dan@client.example", "ana@client.example"],
    cc=["bob@northwind.example"],
    bcc=[],
    subject="Handover",
    body="Bob takes over from Monday.\n\nBest, Alice",
    attachments=[("plan.pdf", 1200), ("notes.txt", 80)],
)


def fingerprint_of(**changes) -> str:
    return fingerprint(make_message(**(BASE | changes)))


SAME = [
    pytest.param(dict(to=["ana@client.example", "dan@client.example"]),           id="recipients in another order"),
    pytest.param(dict(to=["DAN@Client.Example", "Ana@CLIENT.example"]),           id="recipients in other capitals"),
    pytest.param(dict(to=['"Dan" <dan@client.example>', "ana@client.example"]),   id="a display name added"),
    pytest.param(dict(to=["dan+x@client.example", "ana@client.example"]),         id="a plus-tag added"),
    pytest.param(dict(subject="  Handover \t"),                                   id="whitespace around the subject"),
    pytest.param(dict(body="Bob takes over  from Monday.\r\n Best,\tAlice \n"),   id="whitespace inside the body"),
    pytest.param(dict(attachments=[("notes.txt", 80), ("plan.pdf", 1200)]),       id="attachments in another order"),
]  # fmt: skip


@pytest.mark.parametrize("changes", SAME)
def test_the_fingerprint_does_not_change_with(changes):
    assert fingerprint_of(**changes) == fingerprint_of()


DIFFERENT = [
    pytest.param(dict(to=["dan@client.example"]),                                 id="a recipient removed"),
    pytest.param(dict(to=[*BASE["to"], "eve@client.example"]),                    id="a recipient added"),
    pytest.param(dict(to=["dan@client.example", "ana@other.example"]),            id="a recipient replaced"),
    pytest.param(dict(cc=["carol@northwind.example"]),                            id="a Cc recipient replaced"),
    pytest.param(dict(cc=[], bcc=["bob@northwind.example"]),                      id="a Cc recipient moved to Bcc"),
    pytest.param(dict(to=BASE["to"][:1], cc=[*BASE["cc"], BASE["to"][1]]),        id="a To recipient moved to Cc"),
    pytest.param(dict(subject="Handover!"),                                       id="the subject changed"),
    pytest.param(dict(subject="handover"),                                        id="the subject's capitals changed"),
    pytest.param(dict(body="Bob takes over from Tuesday.\n\nBest, Alice"),        id="the body changed"),
    pytest.param(dict(body=BASE["body"] + "\n+34 612 345 678"),                  id="a phone number appended"),
    pytest.param(dict(attachments=[("plan.pdf", 1201), ("notes.txt", 80)]),       id="an attachment's size changed"),
    pytest.param(dict(attachments=[("plan-v2.pdf", 1200), ("notes.txt", 80)]),    id="an attachment renamed"),
    pytest.param(dict(attachments=[("plan.pdf", 1200)]),                          id="an attachment removed"),
]  # fmt: skip


@pytest.mark.parametrize("changes", DIFFERENT)
def test_the_fingerprint_changes_when(changes):
    assert fingerprint_of(**changes) != fingerprint_of()


def test_the_same_address_in_to_and_in_bcc_gives_different_fingerprints():
    assert fingerprint(make_message(to=["dan@client.example"])) != fingerprint(make_message(bcc=["dan@client.example"]))


def test_the_fingerprint_is_a_labelled_sha256_hex_digest():
    value = fingerprint_of()

    assert value.startswith("sha256:")
    assert len(value.removeprefix("sha256:")) == 64
    assert int(value.removeprefix("sha256:"), 16) >= 0


def test_the_fingerprint_is_stable_across_calls():
    assert fingerprint_of() == fingerprint_of() == fingerprint(make_message(**BASE))
