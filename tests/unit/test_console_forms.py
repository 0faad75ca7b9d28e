"""The admin console's form parsing, pure: the policy form, "test a message" and the audit log's filters."""

from __future__ import annotations

from datetime import date

import pytest

from server.console.audit_query import AuditFilter, parse_audit_filter, query_args
from server.console.policy_diff import form_values
from server.console.policy_form import parse_policy_form
from server.console.probe_form import parse_probe_form
from server.model import Field, PolicySettings, Verdict

DEFAULTS = form_values(PolicySettings(internal_domains=frozenset({"northwind.example"})))


def parsed(**changes):
    return parse_policy_form(DEFAULTS | changes)


# --- the policy form ---------------------------------------------------------------------------------------------


def test_the_forms_own_values_parse_back_to_the_same_settings():
    result = parse_policy_form(DEFAULTS)

    assert result.errors == {}
    assert result.settings == PolicySettings(internal_domains=frozenset({"northwind.example"}))
    assert result.version == 0


GOOD = [
    pytest.param({"ladder.garden_leave.webmail": "block"}, "ladder", {**PolicySettings().ladder, ("garden_leave", "webmail"): Verdict.BLOCK}, id="a ladder cell"),  # noqa: E501
    pytest.param({"webmail_domains": "GMAIL.com, gmx.*\n\nyahoo.co.*  bücher.example"}, "webmail_domains", {"gmail.com", "gmx.*", "yahoo.co.*", "xn--bcher-kva.example"}, id="webmail: case, wildcards, IDN, any separator"),  # noqa: E501
    pytest.param({"internal_domains": "northwind.example\nnorthwind.example."}, "internal_domains", {"northwind.example"}, id="duplicates and a trailing dot"),  # noqa: E501
    pytest.param({"internal_domains": ""}, "internal_domains", frozenset(), id="no company domain"),
    pytest.param({"timezone": " Europe/Madrid "}, "timezone", "Europe/Madrid", id="time zone"),
    pytest.param({"fail_mode": "closed"}, "fail_mode", "closed", id="fail mode closed"),
    pytest.param({"fail_mode": ""}, "fail_mode", None, id="fail mode from the setting"),
    pytest.param({"text.es.banner.warn": " Cuidado: {n} destinatarios "}, "texts", {"es": {"banner.warn": "Cuidado: {n} destinatarios"}}, id="a text, trimmed"),  # noqa: E501
    pytest.param({"text.ru.dialog.block": "Стоп.\r\nПозвоните в HR."}, "texts", {"ru": {"dialog.block": "Стоп.\nПозвоните в HR."}}, id="a dialog heading on two lines"),  # noqa: E501
    pytest.param({"text.en.banner.block": "   "}, "texts", {}, id="a blank text is the built-in one"),
    pytest.param({"text.en.banner.block": "x" * 150}, "texts", {"en": {"banner.block": "x" * 150}}, id="a banner of exactly 150"),  # noqa: E501
    pytest.param({"text.en.consequence.warn": "Odd {braces are fine"}, "texts", {"en": {"consequence.warn": "Odd {braces are fine"}}, id="a lone brace"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("changes", "name", "expected"), GOOD)
def test_good_input_is_read_as_meant(changes, name, expected):
    result = parsed(**changes)

    assert result.errors == {}
    assert getattr(result.settings, name) == expected


def test_check_boxes_are_on_when_present_and_off_when_absent():
    form = {k: v for k, v in DEFAULTS.items() if k != "successor_rule"} | {"monitor_only": "on"}

    settings = parse_policy_form(form).settings

    assert (settings.successor_rule, settings.solicitation_signals, settings.monitor_only) == (False, True, True)


BAD = [
    pytest.param({"ladder.notice.webmail": "deny"}, "ladder.notice.webmail", "'deny' is not one of allow, warn, require_approval, block", id="a verdict that does not exist"),  # noqa: E501
    pytest.param({"ladder.notice.webmail": ""}, "ladder.notice.webmail", "choose one of allow, warn, require_approval, block", id="a missing cell"),  # noqa: E501
    pytest.param({"webmail_domains": "gmail.com localhost"}, "webmail_domains", "localhost: a domain needs at least one dot", id="a domain without a dot"),  # noqa: E501
    pytest.param({"webmail_domains": "*.gmail.com"}, "webmail_domains", "*.gmail.com: not a valid domain name", id="a leading wildcard"),  # noqa: E501
    pytest.param({"webmail_domains": "gmx.*.*"}, "webmail_domains", "a wildcard stands only for the last label", id="two wildcards"),  # noqa: E501
    pytest.param({"webmail_domains": ".*"}, "webmail_domains", "a wildcard stands only for the last label", id="a bare wildcard"),  # noqa: E501
    pytest.param({"webmail_domains": "northwind.example"}, "webmail_domains", "northwind.example is one of the company's own domains", id="the company's own domain"),  # noqa: E501
    pytest.param({"internal_domains": "northwind.*"}, "internal_domains", "a wildcard is not allowed here", id="a wildcard company domain"),  # noqa: E501
    pytest.param({"internal_domains": " ".join(f"d{n}.example" for n in range(2001))}, "internal_domains", "at most 2000 domains, not 2001", id="too many domains"),  # noqa: E501
    pytest.param({"timezone": "Europe/Atlantis"}, "timezone", "'Europe/Atlantis' is not a time zone name", id="an unknown time zone"),  # noqa: E501
    pytest.param({"timezone": "../../etc/passwd"}, "timezone", "is not a time zone name", id="a path as time zone"),
    pytest.param({"timezone": ""}, "timezone", "'' is not a time zone name", id="no time zone"),
    pytest.param({"fail_mode": "ajar"}, "fail_mode", "'ajar' is not one of: the setting, open, closed", id="a fail mode"),  # noqa: E501
    pytest.param({"version": "seven"}, "version", "reload the page", id="a version that is not a number"),
    pytest.param({"version": "²"}, "version", "reload the page", id="a version in superscript digits"),
    pytest.param({"text.en.banner.warn": "x" * 151}, "text.en.banner.warn", "at most 150 characters, not 151", id="a banner over 150"),  # noqa: E501
    pytest.param({"text.es.dialog.warn": "y" * 501}, "text.es.dialog.warn", "at most 500 characters, not 501", id="a dialog heading over 500"),  # noqa: E501
    pytest.param({"text.ru.consequence.block": "z" * 201}, "text.ru.consequence.block", "at most 200 characters, not 201", id="a reason's sentence over 200"),  # noqa: E501
    pytest.param({"text.en.banner.warn": "Two\nlines"}, "text.en.banner.warn", "a banner is one line", id="a banner on two lines"),  # noqa: E501
    pytest.param({"text.en.banner.warn": "{recipients} need care"}, "text.en.banner.warn", "unknown placeholder {recipients}; this text may use: {n}", id="an unknown placeholder"),  # noqa: E501
    pytest.param({"text.en.dialog.warn": "{n} recipients"}, "text.en.dialog.warn", "unknown placeholder {n}; this text may use: none", id="a placeholder where none is allowed"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "message"), BAD)
def test_bad_input_is_named_by_field_and_nothing_is_returned_to_save(changes, field, message):
    result = parsed(**changes)

    assert result.settings is None
    assert message in result.errors[field]


def test_every_problem_is_reported_at_once():
    result = parsed(**{"timezone": "Nowhere", "fail_mode": "x", "ladder.departed.external": "y"})

    assert set(result.errors) == {"timezone", "fail_mode", "ladder.departed.external"}


def test_many_bad_domains_are_summed_up_after_five():
    result = parsed(webmail_domains=" ".join(f"bad{n}" for n in range(8)))

    assert result.errors["webmail_domains"].endswith("(and 3 more)")


# --- test a message ----------------------------------------------------------------------------------------------


def test_a_probe_reads_sender_recipients_by_field_subject_body_and_language():
    probe = parse_probe_form(
        {
            "sender": "Alice@Northwind.example",
            "to": "kim@contoso.example, Ana <ana.garcia@gmail.com>",
            "cc": "bob@northwind.example\n",
            "bcc": "",
            "subject": "Handover",
            "body": "Hello\r\nKim",
            "locale": "ru",
        }
    )

    assert probe.errors == {}
    assert probe.sender.email == "alice@northwind.example"
    assert [(r.address.email, r.field) for r in probe.message.recipients] == [
        ("kim@contoso.example", Field.TO),
        ("ana.garcia@gmail.com", Field.TO),
        ("bob@northwind.example", Field.CC),
    ]
    assert (probe.message.subject, probe.message.body, probe.locale) == ("Handover", "Hello\nKim", "ru")


PROBE_BAD = [
    pytest.param({"sender": ""}, "sender", "Give the sender's address", id="no sender"),
    pytest.param({"sender": "alice"}, "sender", "alice: ", id="a sender that is no address"),
    pytest.param({"to": "", "cc": "", "bcc": ""}, "to", "add at least one recipient", id="no recipient"),
    pytest.param({"to": "kim@contoso.example; nope"}, "to", "nope: ", id="one bad recipient among good ones"),
    pytest.param({"bcc": "a@@b.example"}, "bcc", "a@@b.example: ", id="a bad Bcc"),
    pytest.param({"to": ",".join(f"p{n}@x.example" for n in range(501))}, "to", "at most 500 recipients", id="too many"),  # noqa: E501
    pytest.param({"subject": "s" * 2001}, "subject", "at most 2000 characters", id="a long subject"),
    pytest.param({"body": "b" * 100_001}, "body", "at most 100,000 characters", id="a long body"),
    pytest.param({"locale": "de"}, "locale", "'de' is not one of en, es, ru", id="an unsupported language"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "field", "message"), PROBE_BAD)
def test_a_bad_probe_names_its_problem_by_field(changes, field, message):
    form = {"sender": "alice@northwind.example", "to": "kim@contoso.example", "locale": "en"} | changes

    probe = parse_probe_form(form)

    assert probe.message is None
    assert message in probe.errors[field]


# --- the audit log's filters -------------------------------------------------------------------------------------


FILTERS = [
    pytest.param({}, AuditFilter(), id="nothing"),
    pytest.param({"who": " Alice+x@Northwind.example "}, AuditFilter(actor="alice+x@northwind.example"), id="an address"),  # noqa: E501
    pytest.param({"who": "SYNC"}, AuditFilter(actor="sync"), id="a system actor"),
    pytest.param({"from": "2026-03-01", "to": "2026-03-01"}, AuditFilter(since=date(2026, 3, 1), until=date(2026, 3, 1)), id="one day"),  # noqa: E501
    pytest.param({"verdict": "block"}, AuditFilter(verdict=Verdict.BLOCK), id="a verdict"),
    pytest.param({"kind": "Approval.*"}, AuditFilter(kind="approval.*"), id="a family of kinds"),
    pytest.param({"kind": "sync.hr-csv"}, AuditFilter(kind="sync.hr-csv"), id="a kind with a hyphen"),
    pytest.param({"code": "client_recipient_during_notice"}, AuditFilter(code="client_recipient_during_notice"), id="a code"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), FILTERS)
def test_filters_are_read_and_give_back_the_same_arguments(args, expected):
    result = parse_audit_filter(args)

    assert (result.filter, result.errors) == (expected, {})
    assert parse_audit_filter(query_args(result.filter)).filter == expected


FILTERS_BAD = [
    pytest.param({"who": "alice@"}, "who", id="half an address"),
    pytest.param({"who": "a b"}, "who", id="neither address nor system actor"),
    pytest.param({"from": "2026-02-30"}, "from", id="a day that does not exist"),
    pytest.param({"from": "2026-03-02", "to": "2026-03-01"}, "to", id="an end before the start"),
    pytest.param({"verdict": "held"}, "verdict", id="a verdict"),
    pytest.param({"kind": "approval.%"}, "kind", id="a LIKE wildcard in a kind"),
    pytest.param({"kind": "*"}, "kind", id="a bare star"),
    pytest.param({"code": "client_%"}, "code", id="a LIKE wildcard in a code"),
    pytest.param({"code": '"code": "x'}, "code", id="JSON in a code"),
    pytest.param({"before": "12a"}, "before", id="a page position that is not a number"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "field"), FILTERS_BAD)
def test_a_bad_filter_is_named_and_left_out(args, field):
    result = parse_audit_filter(args)

    assert field in result.errors
    assert result.before is None or field != "before"


def test_the_page_position_is_read():
    assert parse_audit_filter({"before": "120"}).before == 120
