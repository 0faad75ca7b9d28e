"""Policy settings as plain values: the form's fields for the page, and what changed, for the audit log.

`form_values(settings)` fills the policy form with the stored settings (the same field names
policy_form reads back); `changed_fields(before, after)` lists only what differs, each side in
JSON-friendly form: the ladder by changed cell (`notice.client_contact`), domains as sorted lists,
texts by `language.key` (None where the built-in text applies).

Pure: stdlib, model and messages only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

from typing import Any

from ..messages import OVERRIDABLE, SUPPORTED_LOCALES
from ..model import PolicySettings
from .policy_form import ladder_field, text_field

_FLAGS = ("successor_rule", "solicitation_signals", "monitor_only")


def form_values(settings: PolicySettings) -> dict[str, str]:
    """The policy form's field values for `settings` (a check box is present only when ticked)."""
    values = {
        "version": str(settings.version),
        "internal_domains": "\n".join(sorted(settings.internal_domains)),
        "webmail_domains": "\n".join(sorted(settings.webmail_domains)),
        "timezone": settings.timezone,
        "fail_mode": settings.fail_mode or "",
    }
    values |= {ladder_field(p.value, c.value): v.value for (p, c), v in settings.ladder.items()}
    values |= {name: "on" for name in _FLAGS if getattr(settings, name)}
    for lang, texts in settings.texts.items():
        values |= {text_field(lang, key): text for key, text in texts.items()}
    return values


def changed_fields(before: PolicySettings, after: PolicySettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields that differ; both empty when nothing changed."""
    old, new = _plain(before), _plain(after)
    changed = [name for name in new if old[name] != new[name]]
    old_changed, new_changed = {}, {}
    for name in changed:
        if isinstance(new[name], dict):  # ladder and texts: only the cells that differ
            keys = sorted(k for k in old[name].keys() | new[name].keys() if old[name].get(k) != new[name].get(k))
            old_changed[name] = {k: old[name].get(k) for k in keys}
            new_changed[name] = {k: new[name].get(k) for k in keys}
        else:
            old_changed[name], new_changed[name] = old[name], new[name]
    return old_changed, new_changed


def _plain(settings: PolicySettings) -> dict[str, Any]:
    """Every field an admin can change, as JSON values."""
    return {
        "ladder": {f"{p.value}.{c.value}": v.value for (p, c), v in settings.ladder.items()},
        "internal_domains": sorted(settings.internal_domains),
        "webmail_domains": sorted(settings.webmail_domains),
        **{name: getattr(settings, name) for name in _FLAGS},
        "timezone": settings.timezone,
        "fail_mode": settings.fail_mode,
        "texts": {
            f"{lang}.{key}": (settings.texts.get(lang) or {}).get(key)
            for lang in SUPPORTED_LOCALES
            for key in OVERRIDABLE
        },
    }
