"""The store hands back exactly what was saved, on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from server import store
from server.identities import Identity
from server.model import normalise_address

from ..builders import NOW, make_departure


def test_a_leaver_found_by_any_alias_comes_back_with_every_alias_and_personal_address(engine):
    saved = make_departure(
        aliases=("a.smith@northwind.example", "alice.s@northwind.example"),
        personal=("alice.private@gmail.com", "alice@yandex.ru", "ali@mail.ru"),
    )
    with engine.begin() as conn:
        departure_id = store.save_departure(conn, saved, NOW)

    with engine.connect() as conn:
        found = [store.find_departure(conn, normalise_address(a).key) for a in (saved.email, *saved.aliases)]

    expected = replace(
        saved,
        id=departure_id,
        aliases=tuple(sorted(saved.aliases)),
        personal_addresses=tuple(sorted(saved.personal_addresses)),
    )
    assert found == [expected, expected, expected]


def test_a_leaver_without_aliases_or_personal_addresses_comes_back_without_them(engine):
    with engine.begin() as conn:
        store.save_departure(conn, make_departure(aliases=(), personal=()), NOW)

    with engine.connect() as conn:
        found = store.find_departure(conn, "alice@northwind.example")

    assert (found.aliases, found.personal_addresses) == ((), ())


def test_someone_not_in_the_register_is_not_found(engine):
    with engine.connect() as conn:
        assert store.find_departure(conn, "carol@northwind.example") is None


TENANT = "7a1f3c2e-0b4d-4e6f-8a9b-1c2d3e4f5a6b"
ALICE_OID = "11111111-1111-4111-8111-111111111111"


def identity(name="asmith@northwind.onmicrosoft.com", oid=ALICE_OID, emails=()) -> Identity:
    return Identity(normalise_address(name), "bearer", oid, TENANT, tuple(normalise_address(e) for e in emails))


def save(engine, departure) -> int:
    with engine.begin() as conn:
        return store.save_departure(conn, departure, NOW)


def test_a_caller_is_found_by_object_id_in_one_round_trip_with_every_alias_and_personal_address(engine):
    saved = make_departure(aliases=("a.smith@northwind.example",), personal=("alice.private@gmail.com", "a@mail.ru"))
    departure_id = save(engine, replace(saved, object_id=ALICE_OID, tenant_id=TENANT))
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    with engine.connect() as conn:
        found = store.find_sender(conn, identity(emails=["alice@northwind.example", "a.smith@northwind.example"]))

    assert (found.id, found.object_id, found.tenant_id) == (departure_id, ALICE_OID, TENANT)
    assert (found.aliases, found.personal_addresses) == (
        ("a.smith@northwind.example",),
        tuple(sorted(saved.personal_addresses)),
    )
    assert len(statements) == 1


def test_a_caller_without_object_id_or_known_address_is_nobody_in_the_register(engine):
    save(engine, replace(make_departure(), object_id=ALICE_OID, tenant_id=TENANT))

    with engine.connect() as conn:
        assert store.find_sender(conn, identity("carol@northwind.example", oid=None)) is None


def test_a_console_or_csv_rewrite_without_a_directory_account_keeps_the_one_a_sync_recorded(engine):
    departure_id = save(engine, replace(make_departure(), object_id=ALICE_OID, tenant_id=TENANT))

    save(engine, make_departure(successor="carol@northwind.example"))  # as a CSV line or the console writes it

    with engine.connect() as conn:
        found = store.find_departure(conn, "alice@northwind.example")
    assert (found.id, found.successor, found.object_id, found.tenant_id) == (
        departure_id,
        "carol@northwind.example",
        ALICE_OID,
        TENANT,
    )


def test_two_departures_cannot_hold_the_same_directory_account(engine):
    save(engine, replace(make_departure(), object_id=ALICE_OID, tenant_id=TENANT))

    with pytest.raises(IntegrityError):
        save(engine, replace(make_departure("alice2@northwind.example"), object_id=ALICE_OID, tenant_id=TENANT))


def test_a_caller_with_more_addresses_than_a_token_usually_proves_is_found_by_the_last_one(engine):
    departure_id = save(engine, make_departure(aliases=("a.smith@northwind.example",)))
    others = ["one@northwind.example", "two@northwind.example", "three@northwind.example"]

    with engine.connect() as conn:
        found = store.find_sender(
            conn, identity("x@northwind.example", oid=None, emails=[*others, "A.Smith@northwind.example"])
        )

    assert found.id == departure_id
