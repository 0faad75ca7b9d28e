"""What the user reads: findings, the banner (≤150 chars) and the dialog (≤500 chars), in en, es and ru.

`render(decision, locale, texts)` turns a Decision into text; `negotiate_locale` picks
the language. Texts are keyed by the stable finding codes. Admins may replace the
banner, the dialog's heading and the consequence sentences per language
(OVERRIDABLE; stored with the policy settings); anything not replaced is built in.

Pure: stdlib and `model` only; must not import Flask, SQLAlchemy or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .limit_texts import TEXTS as LIMIT_TEXTS
from .model import Decision, Finding, Verdict

SUPPORTED_LOCALES = ("en", "es", "ru")
BANNER_LIMIT = 150
DIALOG_LIMIT = 500
CONSEQUENCE_LIMIT = 200  # one sentence inside every ladder finding's message

#: Overrides of the built-in texts: {"es": {"banner.warn": "…"}}.
Texts = Mapping[str, Mapping[str, str]]

_PHASES = {
    "en": {"notice": "on notice", "garden_leave": "on garden leave", "departed": "past your last working day"},
    "es": {
        "notice": "en periodo de preaviso",
        "garden_leave": "en permiso retribuido previo a tu salida",
        "departed": "después de tu último día de trabajo",
    },
    "ru": {
        "notice": "в периоде уведомления об увольнении",
        "garden_leave": "в оплачиваемом отпуске до увольнения",
        "departed": "после последнего рабочего дня",
    },
}

_CONSEQUENCE = {
    "en": {
        "warn": "please make sure this is business as usual.",
        "require_approval": "HR must sign off before this can be sent.",
        "block": "this cannot be sent.",
    },
    "es": {
        "warn": "asegúrate de que es un mensaje habitual de trabajo.",
        "require_approval": "RR. HH. debe aprobarlo antes del envío.",
        "block": "no se puede enviar.",
    },
    "ru": {
        "warn": "убедитесь, что это обычное рабочее письмо.",
        "require_approval": "перед отправкой нужно согласование HR.",
        "block": "это письмо отправить нельзя.",
    },
}

_SUBJECT = {
    "en": {
        "client_recipient": "Client recipients: {recipients}",
        "own_personal_address": "Your personal address: {recipients}",
        "webmail_recipient": "Personal webmail: {recipients}",
        "external_recipient": "Outside the company: {recipients}",
        "internal_recipient": "Colleagues: {recipients}",
    },
    "es": {
        "client_recipient": "Destinatarios clientes: {recipients}",
        "own_personal_address": "Tu dirección personal: {recipients}",
        "webmail_recipient": "Correo web personal: {recipients}",
        "external_recipient": "Externos a la empresa: {recipients}",
        "internal_recipient": "Compañeros: {recipients}",
    },
    "ru": {
        "client_recipient": "Адресаты-клиенты: {recipients}",
        "own_personal_address": "Ваш личный адрес: {recipients}",
        "webmail_recipient": "Личная веб-почта: {recipients}",
        "external_recipient": "Внешние адресаты: {recipients}",
        "internal_recipient": "Коллеги: {recipients}",
    },
}

_LADDER_SENTENCE = {
    "en": "{subject}. You are {phase}: {consequence}",
    "es": "{subject}. Estás {phase}: {consequence}",
    "ru": "{subject}. Вы {phase}: {consequence}",
}

_SPECIAL = {
    "en": {
        "successor_in_copy": "Your successor or the account owner is in copy for {recipients}, so one step less is needed.",
        "solicitation_signal": "The text looks like taking clients along ({signals}): one step more is needed.",
        "approved": "HR signed off this exact message.",
    },
    "es": {
        "successor_in_copy": "Tu sucesor o el responsable de la cuenta está en copia para {recipients}: se exige un paso menos.",
        "solicitation_signal": "El texto parece captar clientes ({signals}): se exige un paso más.",
        "approved": "RR. HH. aprobó exactamente este mensaje.",
    },
    "ru": {
        "successor_in_copy": "Преемник или владелец клиента в копии для {recipients}, поэтому требование на ступень мягче.",
        "solicitation_signal": "Текст похож на переманивание клиентов ({signals}): требование на ступень строже.",
        "approved": "HR согласовал именно это письмо.",
    },
}

_SIGNAL_NAMES = {
    "en": {"phone_number": "a phone number", "personal_email": "a personal e-mail address",
           "new_company_phrase": "talk of a new company or staying in touch"},
    "es": {"phone_number": "un número de teléfono", "personal_email": "un correo personal",
           "new_company_phrase": "mención de una nueva empresa o de seguir en contacto"},
    "ru": {"phone_number": "номер телефона", "personal_email": "личный адрес почты",
           "new_company_phrase": "упоминание новой компании или просьба оставаться на связи"},
}  # fmt: skip

_BANNER = {
    "en": {
        "warn": "LeaverGuard: recipients that need care: {n}. You will be asked to confirm at send.",
        "require_approval": "LeaverGuard: client recipients: {n}. HR sign-off is needed to send.",
        "block": "LeaverGuard: recipients you may not write to now: {n}. Sending will be blocked.",
    },
    "es": {
        "warn": "LeaverGuard: destinatarios que requieren atención: {n}. Se pedirá confirmación al enviar.",
        "require_approval": "LeaverGuard: destinatarios clientes: {n}. Se necesita la aprobación de RR. HH.",
        "block": "LeaverGuard: destinatarios a los que ahora no puedes escribir: {n}. El envío se bloqueará.",
    },
    "ru": {
        "warn": "LeaverGuard: адресатов, требующих внимания: {n}. При отправке нужно будет подтвердить.",
        "require_approval": "LeaverGuard: адресатов-клиентов: {n}. Для отправки нужно согласование HR.",
        "block": "LeaverGuard: адресатов, которым сейчас писать нельзя: {n}. Отправка будет заблокирована.",
    },
}

_DIALOG_HEAD = {
    "en": {
        "warn": "Please check before sending:",
        "require_approval": "This message needs HR sign-off before it can be sent:",
        "block": "This message cannot be sent:",
    },
    "es": {
        "warn": "Revisa antes de enviar:",
        "require_approval": "Este mensaje necesita la aprobación de RR. HH. antes de enviarse:",
        "block": "Este mensaje no se puede enviar:",
    },
    "ru": {
        "warn": "Проверьте перед отправкой:",
        "require_approval": "Для отправки этого письма нужно согласование HR:",
        "block": "Это письмо нельзя отправить:",
    },
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """A decision in words: one message per finding, a banner and a dialog text."""

    finding_messages: tuple[str, ...]
    banner: str
    dialog: str


def negotiate_locale(*candidates: str | None) -> str:
    """The first supported language among `candidates` (`es-ES`, `ru`, an Accept-Language value); else en.

    Candidates are tried in order; within an Accept-Language value, by its q weights.
    """
    for candidate in candidates:
        for language in _by_preference(candidate or ""):
            if language in SUPPORTED_LOCALES:
                return language
    return "en"


def _by_preference(header: str) -> list[str]:
    """Primary language tags of an Accept-Language value, highest q first (ties keep their order)."""
    weighted = []
    for part in header.split(","):
        tag, *params = part.strip().split(";")
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weighted.append((-quality, tag.strip().replace("_", "-").split("-")[0].lower()))
    return [tag for _, tag in sorted(weighted, key=lambda pair: pair[0])]


def finding_message(finding: Finding, locale: str, texts: Texts | None = None) -> str:
    """The human sentence for one finding (`texts`: an admin's overrides of the built-in words)."""
    lang = locale if locale in SUPPORTED_LOCALES else "en"
    recipients = ", ".join(finding.recipients)
    params = dict(finding.params)
    if finding.code in _SPECIAL[lang]:
        signals = ", ".join(_SIGNAL_NAMES[lang].get(k, k) for k in params.get("signals", "").split(",") if k)
        return _SPECIAL[lang][finding.code].format(recipients=recipients, signals=signals)
    if finding.code in LIMIT_TEXTS[lang]:  # a sentence of its own, the consequence starting it anew
        consequence = _consequence(lang, finding.verdict, texts)
        values = {"count": "", "limit": "", "attachments": ""} | params
        text = LIMIT_TEXTS[lang][finding.code].format(
            recipients=recipients, consequence=consequence[:1].upper() + consequence[1:], **values
        )
        return text.rstrip()
    prefix, _, phase = finding.code.partition("_during_")
    subject = _SUBJECT[lang].get(prefix, "{recipients}").format(recipients=recipients)
    return _LADDER_SENTENCE[lang].format(
        subject=subject,
        phase=_PHASES[lang].get(phase, phase),
        consequence=_consequence(lang, finding.verdict, texts),
    )


def _consequence(lang: str, verdict: Verdict, texts: Texts | None) -> str:
    """What a ladder finding's verdict means for the sender; nothing for allow."""
    return "" if verdict == Verdict.ALLOW else _text(lang, f"consequence.{verdict.value}", texts)


def render(decision: Decision, locale: str, texts: Texts | None = None) -> Rendered:
    """Everything the user reads about `decision`, within the Outlook length limits."""
    lang = locale if locale in SUPPORTED_LOCALES else "en"
    messages = tuple(finding_message(f, lang, texts) for f in decision.findings)
    shown = decision.verdict  # in monitor-only mode allow: the sender must not notice
    if shown == Verdict.ALLOW:
        return Rendered(messages, "", "")
    # replace, not format: an admin's text may hold other braces, which must not break a check
    count = _banner_count(decision, shown)
    if count:
        banner = _text(lang, f"banner.{shown.value}", texts).replace("{n}", str(count))
    else:  # held for no client (too many recipients, an unreadable address): the first reason says what
        held = (m for f, m in zip(decision.findings, messages, strict=True) if f.verdict == shown)
        banner = f"LeaverGuard: {next(held, _text(lang, f'dialog.{shown.value}', texts))}"
    dialog = "\n".join([_text(lang, f"dialog.{shown.value}", texts), *messages])
    return Rendered(messages, truncate(banner, BANNER_LIMIT), truncate(dialog, DIALOG_LIMIT))


# --- texts an admin may replace ----------------------------------------------

_OVERRIDDEN_VERDICTS = ("warn", "require_approval", "block")
# group -> (built-in texts by language and verdict, longest length, placeholders it may use)
_GROUPS = {
    "banner": (_BANNER, BANNER_LIMIT, ("n",)),
    "dialog": (_DIALOG_HEAD, DIALOG_LIMIT, ()),
    "consequence": (_CONSEQUENCE, CONSEQUENCE_LIMIT, ()),
}

#: Every text key an admin may replace, with its longest length and the placeholders it may use.
OVERRIDABLE: dict[str, tuple[int, tuple[str, ...]]] = {
    f"{group}.{verdict}": (limit, placeholders)
    for group, (_, limit, placeholders) in _GROUPS.items()
    for verdict in _OVERRIDDEN_VERDICTS
}


def builtin_text(lang: str, key: str) -> str:
    """The text LeaverGuard ships for an OVERRIDABLE key, in `lang`."""
    group, _, verdict = key.partition(".")
    return _GROUPS[group][0][lang][verdict]


def _text(lang: str, key: str, texts: Texts | None) -> str:
    """An admin's text for `key` in `lang` when there is one, else the built-in one."""
    return ((texts or {}).get(lang) or {}).get(key) or builtin_text(lang, key)


def _banner_count(decision: Decision, shown: Verdict) -> int:
    """Client recipients for a sign-off banner (what the user must know; 0 when there is none, as its text speaks
    of clients), else every flagged one."""
    flagged = [f for f in decision.findings if f.verdict != Verdict.ALLOW and _names_recipients(f.code)]
    if shown == Verdict.REQUIRE_APPROVAL:
        return len({r for f in flagged if f.code.startswith("client_recipient") for r in f.recipients})
    return len({r for f in flagged for r in f.recipients})


def _names_recipients(code: str) -> bool:
    """Findings whose recipients are the ones a banner counts: the ladder's, and the unreadable addresses."""
    return "_during_" in code or code == "unreadable_recipient"


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
