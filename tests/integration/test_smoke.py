from server import demo


def test_demo_leaver_mail_to_demo_client_needs_sign_off(app, client, engine):
    from datetime import UTC, datetime

    demo.seed(engine, datetime.now(UTC))
    response = client.post(
        "/api/v1/check",
        headers={"Authorization": "Dev alice@northwind.example"},
        json={"mode": "send", "to": ["kim@contoso.example"], "subject": "Handover", "body": "Hello Kim"},
    )
    assert response.status_code == 200
    assert response.get_json()["verdict"] == "require_approval"
