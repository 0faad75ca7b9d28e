"""Shared steps of the Gmail add-on tests: turn the add-on on for an app, call it as Google does, read the cards."""

from __future__ import annotations

from typing import Any

from google.apps import card_v1
from google.protobuf import json_format

from server.auth.google import GmailSettings, GmailVerifier
from tests import gmail_tokens as gt


def configure(app, **settings: Any) -> None:
    """Switch the add-on on for an app built by the conftest fixture (its verifier is made at start-up)."""
    values = {"GMAIL_SERVICE_ACCOUNT": gt.SERVICE_ACCOUNT, "GMAIL_OAUTH_CLIENT_ID": gt.CLIENT_ID} | settings
    app.config.update(values)
    verifier = GmailVerifier(GmailSettings.from_config(app.config | {"BASE_URL": gt.BASE}))
    app.extensions["leaverguard.gmail_verifier"] = verifier


def call(client, path: str, event: dict, **claims: Any):
    """POST an event to `path` with a system token for that endpoint."""
    return client.post(path, json=event, headers=gt.headers(path, **claims))


def cards_in(answer: dict) -> list[dict]:
    """Every card an answer pushes or puts in place."""
    action = answer.get("renderActions", answer).get("action", {})
    return [card for nav in action.get("navigations", []) for kind, card in nav.items() if kind.endswith("Card")]


def only_card(answer: dict) -> dict:
    (card,) = cards_in(answer)
    return as_card(card)


def as_card(card: dict) -> dict:
    """`card`, after checking it parses into Google's own Card message (unknown fields refused)."""
    json_format.ParseDict(card, card_v1.Card.pb()(), ignore_unknown_fields=False)
    return card


def texts(card: dict) -> list[str]:
    """Every text a card shows, in order: paragraphs, recipient lines and their labels, button labels."""
    found: list[str] = []
    for section in card["sections"]:
        for widget in section["widgets"]:
            if "textParagraph" in widget:
                found.append(widget["textParagraph"]["text"])
            if "decoratedText" in widget:
                found += [widget["decoratedText"]["text"], widget["decoratedText"].get("bottomLabel", "")]
            found += [button["text"] for button in widget.get("buttonList", {}).get("buttons", [])]
    return found


def buttons(card: dict) -> dict[str, str]:
    """Button label -> the URL it calls."""
    return {
        button["text"]: button["onClick"]["action"]["function"]
        for section in card["sections"]
        for widget in section["widgets"]
        for button in widget.get("buttonList", {}).get("buttons", [])
    }
