"""The store hands back exactly what was saved, on both databases."""

from __future__ import annotations

from dataclasses import replace

from server import store
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
