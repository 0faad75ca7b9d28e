"""A Google service-account key file made in the test (its private key really signs the JWT assertions), and the
recorded-shape answers HttpMockSequence gives the Directory API client: the token, a page of users."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def service_account_file(directory: Path, client_email: str) -> str:
    """Write a fresh service-account key for `client_email` into `directory`; its path."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    info = {
        "type": "service_account",
        "project_id": "leaverguard-test",
        "private_key_id": "k1",
        "private_key": pem.decode(),
        "client_email": client_email,
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path = directory / "service-account.json"
    path.write_text(json.dumps(info))
    return str(path)


def token_answer(value: str = "g-token") -> tuple[dict, str]:
    """Google's token endpoint granting the service account an access token."""
    return ({"status": "200"}, json.dumps({"access_token": value, "expires_in": 3600, "token_type": "Bearer"}))


def users_page(users: list[dict], next_token: str | None = None) -> tuple[dict, str]:
    """One page of `users.list`."""
    body = {"users": users} | ({"nextPageToken": next_token} if next_token else {})
    return ({"status": "200"}, json.dumps(body))
