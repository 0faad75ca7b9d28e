"""Helpers the connectors share: reading dates as sources write them.

Pure: stdlib only.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

#: How some HR systems write "no date".
EMPTY_DATES = {"", "0000-00-00", "null", "None"}


def day(value: object, zone: tzinfo | None = None) -> date | None:
    """The date in `value` (`2026-12-31`, or a date and time); None when empty; ValueError when not a date.

    A date and time with an offset is converted to `zone` first (Entra ID stores
    the last day as an instant in UTC: 23:59 UTC on 31 December is already 1
    January in Sydney); without `zone` the date is taken as written.
    """
    text = str(value).strip() if value is not None else ""
    if text in EMPTY_DATES:
        return None
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    if zone is not None and moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date()


def read_day(value: object, what: str, problems: list[str], zone: tzinfo | None = None) -> date | None:
    """`day(value)`, or None with a problem appended when it is not a date."""
    try:
        return day(value, zone)
    except (ValueError, TypeError):
        problems.append(f"{what} {str(value)[:40]!r} is not a date")
        return None
