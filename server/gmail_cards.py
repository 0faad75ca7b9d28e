"""The Gmail add-on's cards and the answers that carry them, as Google's card JSON (pure builders).

Cards: the compose card (the verdict, one line per flagged recipient, the other findings'
sentences, the sign-off status, and the buttons Check again / Request HR sign-off / Add my
successor in Cc), the sign-off form (a justification and the attestation), and the homepage.
Answers: `show` for a trigger, `replace`, `back_to_main` and `notify` for a button's
action, `set_cc` to replace the draft's Cc (Gmail's updateDraftActionMarkup).

Limits: Google ignores widgets past 100 per card, so a card never holds more
(flagged recipients past MAX_LINES are summed up in one line); every text is cut to
TEXT_LIMIT characters, our own bound for a sidebar.

Pure: stdlib, model, messages and gmail_texts only; must not import Flask or SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .gmail_texts import text
from .messages import truncate
from .model import ApprovalStatus, Decision, Finding, Verdict

MAX_WIDGETS = 100  # per card: Google ignores the rest
MAX_LINES = 50  # flagged recipients listed one a line; the rest in one summing-up line
TEXT_LIMIT = 1000
JUSTIFICATION_FIELD, ATTESTATION_FIELD, ATTESTED = "justification", "attestation", "yes"
_VERDICT_KEYS = {
    Verdict.ALLOW: "verdictAllow",
    Verdict.WARN: "verdictWarn",
    Verdict.REQUIRE_APPROVAL: "verdictRequireApproval",
    Verdict.BLOCK: "verdictBlock",
}
_STATUS_KEYS = {status: "status" + status.value.capitalize() for status in ApprovalStatus}

Card = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ComposeState:
    """What the compose card shows, as plain values (web/gmail.py gathers them)."""

    decision: Decision
    finding_messages: tuple[str, ...]
    recipient_count: int
    approval: ApprovalStatus | None = None
    hr_comment: str | None = None
    successor: str | None = None  # offered for Cc when set
    draft_read: bool = True  # False: Google's event could not be read, the verdict is of a draft nothing is known of


def flagged_lines(decision: Decision, lang: str) -> list[tuple[str, str]]:
    """(recipient, "Client · needs HR sign-off") for every recipient a ladder finding holds back, first finding wins."""
    lines: dict[str, str] = {}
    for finding in decision.findings:
        if finding.verdict == Verdict.ALLOW or "_during_" not in finding.code:
            continue
        label = f"{text(lang, 'class.' + finding.code.partition('_during_')[0])} · {_verdict(lang, finding)}"
        for recipient in finding.recipients:
            lines.setdefault(recipient, label)
    return list(lines.items())


def may_request(decision: Decision, approval: ApprovalStatus | None) -> bool:
    """Whether to offer the sign-off button: the message needs one and none is on its way or granted."""
    live = approval in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
    return decision.verdict == Verdict.REQUIRE_APPROVAL and not live


def compose_card(state: ComposeState, lang: str, urls: Mapping[str, str]) -> Card:
    decision = state.decision
    verdict = [_paragraph(f"<b>{_escape(text(lang, _VERDICT_KEYS[decision.verdict]))}</b>")]
    if not state.recipient_count and state.draft_read:
        verdict = [_paragraph(text(lang, "noRecipients"))]
    sections = [_section(text(lang, "findingsHeading"), [*verdict, *_lines(decision, lang)])]
    notes = [m for f, m in zip(decision.findings, state.finding_messages, strict=True) if "_during_" not in f.code]
    if notes:
        sections.append(_section("", [_paragraph(_escape(note)) for note in notes[:5]]))
    if state.approval is not None:
        sections.append(_section(text(lang, "statusHeading"), _status(state, lang)))
    sections.append(_section("", [_buttons(_compose_buttons(state, lang, urls)), _paragraph(text(lang, "gmailNote"))]))
    return _card(lang, sections)


def signoff_form_card(lang: str, urls: Mapping[str, str], *, error: str = "", justification: str = "") -> Card:
    """The justification, the attestation and the submit button; `error` says what was wrong last time."""
    field = {"name": JUSTIFICATION_FIELD, "label": text(lang, "justificationLabel"), "type": "MULTIPLE_LINE"}
    field |= {"hintText": text(lang, "justificationHint"), "value": justification[:2000]}
    attestation = {"name": ATTESTATION_FIELD, "type": "CHECK_BOX"}
    attestation["items"] = [{"text": text(lang, "attestationLabel"), "value": ATTESTED, "selected": False}]
    widgets = [_paragraph(text(lang, "signoffNote")), {"textInput": field}, {"selectionInput": attestation}]
    if error:
        widgets.insert(0, _paragraph(f"<b>{_escape(error)}</b>"))
    submit = _button(text(lang, "submit"), urls["signoff_submit"], filled=True)
    return _card(lang, [_section(text(lang, "requestHeading"), [*widgets, _buttons([submit])])])


def homepage_card(lang: str, leaving: bool) -> Card:
    about = text(lang, "homepageLeaving" if leaving else "homepageColleague")
    return _card(lang, [_section("", [_paragraph(text(lang, "homepage")), _paragraph(about)])])


# --- answers ------------------------------------------------------------------


def show(card: Card) -> dict[str, Any]:
    """A trigger's answer (homepage, compose): the card to show."""
    return {"action": {"navigations": [{"pushCard": card}]}}


def push(card: Card) -> dict[str, Any]:
    """A button's answer that opens `card` over the current one."""
    return {"renderActions": {"action": {"navigations": [{"pushCard": card}]}}}


def replace(card: Card, notification: str = "") -> dict[str, Any]:
    """A button's answer that puts `card` in place of the current one."""
    return {"renderActions": {"action": {"navigations": [{"updateCard": card}]} | _notification(notification)}}


def back_to_main(card: Card, notification: str = "") -> dict[str, Any]:
    """Close any card opened over the main one and show `card` as the main card."""
    navigations = [{"popToRoot": True}, {"updateCard": card}]
    return {"renderActions": {"action": {"navigations": navigations} | _notification(notification)}}


def notify(notification: str) -> dict[str, Any]:
    return {"renderActions": {"action": _notification(notification)}}


def set_cc(addresses: Iterable[str]) -> dict[str, Any]:
    """Replace the draft's Cc with `addresses` (Gmail replaces the whole list, so pass the ones to keep too)."""
    cc = {"ccRecipients": [{"email": address} for address in addresses]}
    return {
        "renderActions": {"hostAppAction": {"gmailAction": {"updateDraftActionMarkup": {"updateCcRecipients": cc}}}}
    }


# --- pieces -------------------------------------------------------------------


def _card(lang: str, sections: list[dict[str, Any]]) -> Card:
    header = {"title": text(lang, "title"), "subtitle": text(lang, "subtitle")}
    count = sum(len(section["widgets"]) for section in sections)
    if count > MAX_WIDGETS:  # a builder's bug: Google would silently drop the buttons at the end
        raise ValueError(f"a card may hold {MAX_WIDGETS} widgets, this one has {count}")
    return {"header": header, "sections": sections}


def _section(header: str, widgets: list[dict[str, Any]]) -> dict[str, Any]:
    return ({"header": header} if header else {}) | {"widgets": widgets}


def _paragraph(value: str) -> dict[str, Any]:
    return {"textParagraph": {"text": truncate(value, TEXT_LIMIT)}}


def _lines(decision: Decision, lang: str) -> list[dict[str, Any]]:
    lines = flagged_lines(decision, lang)
    widgets = [
        {"decoratedText": {"text": truncate(_escape(who), TEXT_LIMIT), "bottomLabel": label, "wrapText": True}}
        for who, label in lines[:MAX_LINES]
    ]
    if len(lines) > MAX_LINES:
        widgets.append(_paragraph(text(lang, "moreRecipients", count=len(lines) - MAX_LINES)))
    return widgets


def _status(state: ComposeState, lang: str) -> list[dict[str, Any]]:
    widgets = [_paragraph(text(lang, _STATUS_KEYS[state.approval]))]
    if state.hr_comment:
        widgets.append(_paragraph(f"{text(lang, 'commentLabel')} {_escape(state.hr_comment)}"))
    return widgets


def _compose_buttons(state: ComposeState, lang: str, urls: Mapping[str, str]) -> list[dict[str, Any]]:
    buttons = [_button(text(lang, "recheck"), urls["recheck"])]
    if may_request(state.decision, state.approval):
        buttons.append(_button(text(lang, "requestButton"), urls["signoff_form"], filled=True))
    if state.successor:
        buttons.append(_button(text(lang, "successorButton"), urls["add_successor"]))
    return buttons


def _button(label: str, url: str, *, filled: bool = False) -> dict[str, Any]:
    action = {"function": url, "loadIndicator": "SPINNER"}
    return {"text": label, "type": "FILLED" if filled else "OUTLINED", "onClick": {"action": action}}


def _buttons(buttons: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"buttonList": {"buttons": list(buttons)}}


def _verdict(lang: str, finding: Finding) -> str:
    return text(lang, f"verdict.{finding.verdict.value}")


def _notification(notification: str) -> dict[str, Any]:
    return {"notification": {"text": truncate(notification, TEXT_LIMIT)}} if notification else {}


def _escape(value: str) -> str:
    """Card text is formatted (a few HTML tags): what people wrote or addresses must show as written."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
