"""The policy page (/admin/policy): the ladder grid and every setting, saved as one audited change; and
"test a message" (/admin/policy/test), which shows the check's answer without sending or auditing anything.

Saving needs EDIT_POLICY (admin); testing needs READ_AUDIT (admin, hr), since it shows how the policy
treats any person, leaving or not. Views only parse (console.policy_form, console.probe_form), call
services.policy_admin and render. Must not hold SQL or policy logic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for

from ... import db
from ...console.policy_diff import form_values
from ...console.policy_form import ladder_field, parse_policy_form, text_field
from ...console.probe_form import parse_probe_form
from ...messages import OVERRIDABLE, SUPPORTED_LOCALES, builtin_text
from ...model import LEAVING_PHASES, RecipientClass, Verdict
from ...services import policy_admin
from ..access import Permission, requires
from ..signin import current_user, verify_csrf
from . import NAV, bp

NAV.append(("admin.policy", "Policy"))

VERDICT_LABELS = {"allow": "Allow", "warn": "Warn", "require_approval": "Require sign-off", "block": "Block"}
PHASE_LABELS = {"notice": "On notice", "garden_leave": "Garden leave", "departed": "Departed"}
CLASS_LABELS = {
    "internal": "Colleagues (internal)",
    "client_contact": "Client contact",
    "client_domain": "Client domain",
    "own_personal": "Own personal address",
    "webmail": "Webmail",
    "external": "Other external",
}
TEXT_LABELS = {"banner": "Banner", "dialog": "Dialog heading", "consequence": "Reason's last sentence"}
LANGUAGE_LABELS = {"en": "English", "es": "Spanish", "ru": "Russian"}
STALE = "The policy was changed by someone else since you opened it. Nothing was saved: here is the current policy."


@bp.get("/policy")
@requires(Permission.READ)
def policy():
    settings = policy_admin.current_policy(db.engine())
    return _page(form_values(settings), version=settings.version)


@bp.post("/policy")
@requires(Permission.EDIT_POLICY)
def save_policy():
    verify_csrf()
    parsed = parse_policy_form(request.form)
    if parsed.settings is None:
        return _page(request.form, errors=parsed.errors, version=parsed.version), 400
    try:
        version = policy_admin.save_policy(
            db.engine(), parsed.settings, expected_version=parsed.version, actor=current_user(), now=_now()
        )
    except policy_admin.StaleSettings:
        current = policy_admin.current_policy(db.engine())
        return _page(form_values(current), version=current.version, stale=True), 409
    flash(f"Saved: the policy is now version {version}." if version else "Nothing changed.", "ok")
    return redirect(url_for("admin.policy"))


@bp.get("/policy/test")
@requires(Permission.READ_AUDIT)
def test_form():
    return render_template("admin/policy_test.html", values={"locale": "en"}, errors={}, result=None, **_labels())


@bp.post("/policy/test")
@requires(Permission.READ_AUDIT)
def test_message():
    verify_csrf()
    probe = parse_probe_form(request.form)
    values = request.form
    if probe.message is None:
        page = render_template("admin/policy_test.html", values=values, errors=probe.errors, result=None, **_labels())
        return page, 400
    result = policy_admin.try_message(
        db.engine(),
        probe.sender,
        probe.message,
        locale=probe.locale,
        now=_now(),
        settings_cache=current_app.extensions["leaverguard.settings_cache"],
    )
    return render_template("admin/policy_test.html", values=values, errors={}, result=result, **_labels())


def _page(values: Mapping[str, str], *, version: int | None, errors: Mapping[str, str] | None = None, stale=False):
    return render_template(
        "admin/policy.html",
        values=values,
        errors=errors or {},
        version=version,
        stale=STALE if stale else None,
        phases=LEAVING_PHASES,
        classes=list(RecipientClass),
        verdicts=list(Verdict),
        ladder_field=ladder_field,
        texts=_text_rows(),
        field_labels=_field_labels(),
        configured_fail_mode=current_app.config.get("ADDIN_FAIL_MODE") or "open",
        **_labels(),
    )


def _text_rows() -> list[tuple[str, str, list[dict]]]:
    """(language, its name, [each overridable text: field name, label, built-in text, limit, placeholders])."""
    rows = []
    for lang in SUPPORTED_LOCALES:
        fields = [
            {
                "name": text_field(lang, key),
                "label": f"{TEXT_LABELS[key.split('.')[0]]} — {VERDICT_LABELS[key.split('.')[1]].lower()}",
                "builtin": builtin_text(lang, key),
                "limit": limit,
                "placeholders": placeholders,
            }
            for key, (limit, placeholders) in OVERRIDABLE.items()
        ]
        rows.append((lang, LANGUAGE_LABELS[lang], fields))
    return rows


def _field_labels() -> dict[str, str]:
    """A person's name for every field of the form, for the list of problems above it."""
    labels = {
        "version": "The form",
        "internal_domains": "The company's own domains",
        "webmail_domains": "Personal webmail domains",
        "timezone": "Time zone",
        "fail_mode": "Fail mode",
    }
    for phase in LEAVING_PHASES:
        for cls in RecipientClass:
            labels[ladder_field(phase.value, cls.value)] = f"Ladder: {PHASE_LABELS[phase]}, {CLASS_LABELS[cls]}"
    for _, language, fields in _text_rows():
        labels |= {f["name"]: f"{language}: {f['label']}" for f in fields}
    return labels


def _labels() -> dict:
    return {
        "verdict_labels": VERDICT_LABELS,
        "phase_labels": PHASE_LABELS,
        "class_labels": CLASS_LABELS,
        "language_labels": LANGUAGE_LABELS,
    }


def _now() -> datetime:
    return datetime.now(UTC)
