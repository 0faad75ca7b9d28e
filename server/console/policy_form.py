"""The policy page's form, parsed and validated: PolicySettings, or every problem named next to its field.

Field names (the template writes them, `policy_diff.form_values` fills them):
`version`; `ladder.<phase>.<recipient class>` (a verdict); the check boxes `successor_rule`,
`solicitation_signals`, `monitor_only`; `internal_domains` and `webmail_domains` (one a line, or
separated by commas or spaces); `timezone`; `fail_mode` (empty: the LEAVERGUARD_ADDIN_FAIL_MODE
setting); `text.<language>.<key>` for each overridable text (empty: the built-in text).

Pure: stdlib, model and messages only; must not import Flask, SQLAlchemy or anything doing I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..messages import OVERRIDABLE, SUPPORTED_LOCALES
from ..model import FAIL_MODES, LEAVING_PHASES, Ladder, PolicySettings, RecipientClass, Verdict, normalise_domain

MAX_DOMAINS = 2000  # per list; far above any real company's or webmail list
_SEPARATORS = re.compile(r"[\s,;]+")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_WILDCARD_PROBE = "wildcard-probe.example"  # stands in for the `*` of `gmx.*` while the rest is checked


@dataclass(frozen=True, slots=True)
class ParsedPolicy:
    """The form's settings (None when anything is wrong), the version it was opened at, and the problems."""

    settings: PolicySettings | None
    version: int | None
    errors: dict[str, str] = field(default_factory=dict)


def ladder_field(phase: str, cls: str) -> str:
    return f"ladder.{phase}.{cls}"


def text_field(lang: str, key: str) -> str:
    return f"text.{lang}.{key}"


def parse_policy_form(form: Mapping[str, str]) -> ParsedPolicy:
    """Everything the form says, checked; nothing is guessed or silently dropped."""
    errors: dict[str, str] = {}
    version = _version(form.get("version", ""), errors)
    internal = _domains(form.get("internal_domains", ""), "internal_domains", errors, wildcards=False)
    webmail = _domains(form.get("webmail_domains", ""), "webmail_domains", errors, wildcards=True)
    for domain in sorted(internal & webmail):
        errors.setdefault("webmail_domains", f"{domain} is one of the company's own domains")
    settings = PolicySettings(
        ladder=_ladder(form, errors),
        internal_domains=internal,
        webmail_domains=webmail,
        successor_rule=_checked(form, "successor_rule"),
        solicitation_signals=_checked(form, "solicitation_signals"),
        monitor_only=_checked(form, "monitor_only"),
        timezone=_timezone(form.get("timezone", ""), errors),
        texts=_texts(form, errors),
        fail_mode=_fail_mode(form.get("fail_mode", ""), errors),
        version=version or 0,
    )
    return ParsedPolicy(None if errors else settings, version, errors)


def _checked(form: Mapping[str, str], name: str) -> bool:
    """A check box: present (any value) when ticked, absent otherwise."""
    return name in form


def _version(raw: str, errors: dict[str, str]) -> int | None:
    if not (raw.strip().isascii() and raw.strip().isdigit()):
        errors["version"] = "the form has lost its version: reload the page and make the change again"
        return None
    return int(raw)


def _ladder(form: Mapping[str, str], errors: dict[str, str]) -> Ladder:
    ladder: Ladder = {}
    for phase in LEAVING_PHASES:
        for cls in RecipientClass:
            name = ladder_field(phase.value, cls.value)
            raw = form.get(name, "")
            try:
                ladder[(phase, cls)] = Verdict(raw)
            except ValueError:
                allowed = ", ".join(v.value for v in Verdict)
                errors[name] = f"choose one of {allowed}" if not raw else f"{raw!r} is not one of {allowed}"
    return ladder


def _domains(raw: str, name: str, errors: dict[str, str], *, wildcards: bool) -> frozenset[str]:
    """A list of domains; with `wildcards`, entries like `gmx.*` (any last label) are allowed too."""
    entries = [e for e in _SEPARATORS.split(raw) if e]
    if len(entries) > MAX_DOMAINS:
        errors[name] = f"at most {MAX_DOMAINS} domains, not {len(entries)}"
        return frozenset()
    found, bad = set(), []
    for entry in entries:
        try:
            found.add(_domain(entry, wildcards))
        except ValueError as exc:
            bad.append(f"{entry}: {exc}")
    if bad:
        errors[name] = "; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else "")
    return frozenset(found)


def _domain(entry: str, wildcards: bool) -> str:
    if not entry.endswith(".*"):
        return normalise_domain(entry)
    if not wildcards:
        raise ValueError("a wildcard is not allowed here")
    stem = entry[:-2]
    if not stem or "*" in stem:
        raise ValueError("a wildcard stands only for the last label, as in gmx.*")
    probe = normalise_domain(f"{stem}.{_WILDCARD_PROBE}")  # checks the labels, IDNA-encodes them
    return probe.removesuffix(f".{_WILDCARD_PROBE}") + ".*"


def _timezone(raw: str, errors: dict[str, str]) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = f"{name!r} is not a time zone name (such as Europe/Madrid or UTC)"
        return "UTC"
    return name


def _fail_mode(raw: str, errors: dict[str, str]) -> str | None:
    if raw == "":
        return None
    if raw not in FAIL_MODES:
        errors["fail_mode"] = f"{raw!r} is not one of: the setting, {', '.join(FAIL_MODES)}"
        return None
    return raw


def _texts(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, dict[str, str]]:
    """The admin's texts by language; an empty field keeps the built-in text."""
    texts: dict[str, dict[str, str]] = {}
    for lang in SUPPORTED_LOCALES:
        for key, (limit, placeholders) in OVERRIDABLE.items():
            name = text_field(lang, key)
            value = form.get(name, "").strip().replace("\r\n", "\n")
            problem = value and text_problem(key, value, limit, placeholders)
            if problem:
                errors[name] = problem
            elif value:
                texts.setdefault(lang, {})[key] = value
    return texts


def text_problem(key: str, value: str, limit: int, placeholders: tuple[str, ...]) -> str | None:
    """What is wrong with an admin's text for `key`, or None."""
    if len(value) > limit:
        return f"at most {limit} characters, not {len(value)}"
    if key.startswith("banner.") and "\n" in value:
        return "a banner is one line"
    unknown = [p for p in _PLACEHOLDER.findall(value) if p not in placeholders]
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in placeholders) or "none"
        return f"unknown placeholder {{{unknown[0]}}}; this text may use: {allowed}"
    return None
