"""Reading an add-on event that cannot be decoded (server/web/gmail_event.event_in_raw): only Google's own fields."""

from __future__ import annotations

import json

import pytest

from server.web import gmail_event

TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJlbWFpbCI6ImFsaWNlQG5vcnRod2luZC5leGFtcGxlIn0.c2lnbmF0dXJl"


def raw(event: dict, pad: int = 0) -> bytes:
    """`event` as Google sends it, with `pad` bytes of recipients first, so its user's fields come late."""
    padded = {"gmail": {"toRecipients": ["x" * pad]}} | event
    return json.dumps(padded).encode()


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def cut_in_the_token(data: bytes) -> list[bytes]:
    middle = data.index(TOKEN.encode()) + len(TOKEN) // 2
    return [data[:middle], data[middle:]]


EVENT = {"commonEventObject": {"userLocale": "es-419"}, "authorizationEventObject": {"userIdToken": TOKEN}}
ONLY_TOKEN = {"authorizationEventObject": {"userIdToken": TOKEN}}
WRITTEN_BY_THE_USER = {"gmail": {"toRecipients": [f'"userIdToken": "{TOKEN}"']}, "commonEventObject": {}}
CASES = [
    ("whole, in one chunk", [raw(EVENT)], EVENT),
    ("the token cut between two chunks", cut_in_the_token(raw(EVENT, pad=70_000)), EVENT),
    ("in chunks smaller than the token", chunks(raw(EVENT, pad=10_000), 100), EVENT),
    ("without a language", chunks(raw(ONLY_TOKEN), 4096), ONLY_TOKEN),
    ("the key only inside a value the user wrote", [json.dumps(WRITTEN_BY_THE_USER).encode()], None),
    ("no token at all", [raw({"commonEventObject": {"userLocale": "ru"}})], None),
    ("a token that is no JWT", [raw({"authorizationEventObject": {"userIdToken": "<script>"}})], None),
    ("nothing", [], None),
]


@pytest.mark.parametrize(("case", "given", "found"), CASES, ids=[c[0] for c in CASES])
def test_only_googles_token_and_language_are_found_in_an_event_that_cannot_be_decoded(case, given, found):
    assert gmail_event.event_in_raw(given) == found


def test_every_chunk_is_read_even_once_the_token_is_found():
    """The request is drained, so the client reads the answer rather than a connection reset."""
    read = []

    def stream():
        for chunk in chunks(raw(EVENT, pad=100_000), 4096):
            read.append(chunk)
            yield chunk

    gmail_event.event_in_raw(stream())

    assert sum(map(len, read)) == len(raw(EVENT, pad=100_000))
