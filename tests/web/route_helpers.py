"""Every route of the app, read from its url_map, with a path to request for each: tests over all routes at once."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, IntegerConverter

#: The routes with an id that gave a 500 for an id beyond the integer range (issue 12).
ID_ROUTES_OF_THE_ISSUE = {
    "/api/v1/approvals/<int:approval_id>",
    "/admin/departures/<int:departure_id>",
    "/admin/clients/<int:account_id>",
    "/admin/signoffs/<int:approval_id>",
    "/admin/audit/<int:event_id>",
    "/dev/outbox/<int:mail_id>",
}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


def rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


def id_rules(app: Flask) -> list[Rule]:
    """The rules with at least one integer (row id) argument."""
    return [rule for rule in rules(app) if any(isinstance(c, IntegerConverter) for c in _converters(rule).values())]


def verbs(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def filled_path(rule: Rule, *, default: str = "x", ids: str | dict[str, str] = "1") -> str:
    """The rule's path with each argument filled in: ids (by argument name, or one for all), the first choice of
    an `any(...)`, `default` for the rest."""
    converters = _converters(rule)

    def value(match: re.Match) -> str:
        name = match.group(1)
        converter = converters[name]
        if isinstance(converter, IntegerConverter):
            return ids if isinstance(ids, str) else ids.get(name, "1")
        if isinstance(converter, AnyConverter):
            return sorted(converter.items)[0]
        return default

    return _ARGUMENT.sub(value, rule.rule)


def status_of(client: FlaskClient, verb: str, path: str, **options) -> int:
    """The status of one request; the response is closed (a CSV download holds a temporary file until then)."""
    with client.open(path, method=verb, **options) as response:
        return response.status_code


def _converters(rule: Rule) -> dict:
    # Werkzeug keeps a rule's converter instances here once the rule is bound to the map (no public accessor).
    return rule._converters
