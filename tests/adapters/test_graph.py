"""GraphClient: MSAL app tokens, paging, throttling, a refused token, and errors without secrets."""

from __future__ import annotations

import pytest
import responses

from server.adapters.graph import GraphClient, GraphError
from server.adapters.http import RetryPolicy

from .fakes import CLIENT_ID, GRAPH, SECRET, TENANT, TOKEN_URL, mock_entra_authority

USERS = f"{GRAPH}/v1.0/users"


def make_client(waits: list | None = None) -> GraphClient:
    sleep = waits.append if waits is not None else (lambda _s: None)
    return GraphClient(TENANT, CLIENT_ID, SECRET, policy=RetryPolicy(attempts=3, backoff=0.5), sleep=sleep)


@responses.activate
def test_a_get_carries_the_app_token_msal_obtained_with_the_client_secret():
    mock_entra_authority(responses, "app-token")
    responses.get(USERS, json={"value": []})

    assert make_client().get("/v1.0/users") == {"value": []}

    token_request = next(c.request for c in responses.calls if c.request.url == TOKEN_URL)
    assert "grant_type=client_credentials" in token_request.body
    assert "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" in token_request.body
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer app-token"


@responses.activate
def test_the_token_is_cached_between_requests():
    mock_entra_authority(responses, "app-token")
    responses.get(USERS, json={"value": []})
    client = make_client()

    client.get("/v1.0/users")
    client.get("/v1.0/users")

    assert [c.request.url for c in responses.calls].count(TOKEN_URL) == 1


@responses.activate
def test_pages_follow_the_next_link_until_there_is_none():
    mock_entra_authority(responses)
    responses.get(USERS, json={"value": [{"id": "1"}], "@odata.nextLink": f"{USERS}?$skiptoken=abc"})
    responses.get(f"{USERS}?$skiptoken=abc", json={"value": [{"id": "2"}]})

    assert [u["id"] for u in make_client().pages("/v1.0/users")] == ["1", "2"]


@responses.activate
def test_throttling_waits_what_retry_after_asks_then_succeeds():
    mock_entra_authority(responses)
    responses.get(USERS, status=429, headers={"Retry-After": "7"}, json={"error": {"code": "TooManyRequests"}})
    responses.get(USERS, status=503)
    responses.get(USERS, json={"value": [{"id": "1"}]})
    waits: list[float] = []

    assert make_client(waits).get("/v1.0/users") == {"value": [{"id": "1"}]}
    assert waits == [7.0, 1.0]  # Retry-After, then the backoff's second step


@responses.activate
def test_throttling_that_never_ends_is_a_graph_error_after_the_last_attempt():
    mock_entra_authority(responses)
    responses.get(USERS, status=429, headers={"Retry-After": "1"})

    with pytest.raises(GraphError, match=r"answered 429 \(gave up after 3 attempts\)") as raised:
        make_client().get("/v1.0/users")
    assert raised.value.status == 429


@responses.activate
def test_an_expired_token_is_replaced_once_and_the_request_retried():
    mock_entra_authority(responses, "old-token", "new-token")
    responses.get(USERS, status=401, json={"error": {"code": "InvalidAuthenticationToken"}})
    responses.get(USERS, json={"value": []})

    assert make_client().get("/v1.0/users") == {"value": []}
    sent = [c.request.headers.get("Authorization") for c in responses.calls if c.request.url == USERS]
    assert sent == ["Bearer old-token", "Bearer new-token"]


@responses.activate
def test_a_token_refused_twice_is_an_error():
    mock_entra_authority(responses, "old-token", "new-token")
    responses.get(USERS, status=401, json={"error": {"code": "InvalidAuthenticationToken", "message": "expired"}})

    with pytest.raises(GraphError, match="answered 401: InvalidAuthenticationToken expired"):
        make_client().get("/v1.0/users")


@responses.activate
def test_a_wrong_client_secret_is_an_error_that_does_not_quote_the_secret():
    mock_entra_authority(responses, "unused")
    responses.replace(
        responses.POST,
        TOKEN_URL,
        status=401,
        json={"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\nTrace"},
    )

    with pytest.raises(GraphError) as raised:
        make_client().token()

    expected = f"no token for client {CLIENT_ID}: invalid_client: AADSTS7000215: Invalid client secret provided."
    assert str(raised.value) == f"Microsoft Graph: {expected}"
    assert SECRET not in str(raised.value)


@responses.activate
def test_an_unreachable_identity_platform_is_a_graph_error():
    with pytest.raises(GraphError, match=r"cannot use the authority .*: ConnectionError"):
        make_client().token()


@responses.activate
def test_a_token_endpoint_that_answers_500_is_a_graph_error_not_a_crash():
    mock_entra_authority(responses, "unused")
    responses.replace(responses.POST, TOKEN_URL, status=500, body="Service unavailable")

    with pytest.raises(GraphError, match=r"the token endpoint of .* failed"):
        make_client().token()


@responses.activate
def test_post_returns_an_empty_dict_for_an_empty_answer():
    mock_entra_authority(responses)
    responses.post(f"{GRAPH}/v1.0/users/a@example.com/sendMail", status=202)

    assert make_client().post("/v1.0/users/a@example.com/sendMail", json={"message": {}}) == {}


def test_a_client_without_a_secret_is_refused_at_once():
    with pytest.raises(GraphError, match="all needed"):
        GraphClient(TENANT, CLIENT_ID, "")
