"""The dashboard: who is on notice, pending sign-offs, held and warned sends, recent decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import render_template

from ... import db
from ...mail_content import when
from ...services import console
from ..access import Permission, requires
from . import NAV, bp

NAV.append(("admin.dashboard", "Dashboard"))

CHART_HEIGHT = 100  # the SVG's drawing units; the page scales it
BAR_PITCH = 10
BAR_WIDTH = 8
PHASE_LABELS = {"notice": "on notice", "garden_leave": "garden leave", "none": "notice starts soon"}


@dataclass(frozen=True, slots=True)
class Bar:
    """One day's column: held (require_approval, block) at the bottom, warned on top, in SVG units."""

    x: int
    held_y: float
    held_height: float
    warned_y: float
    warned_height: float
    label: str


@bp.get("/")
@requires(Permission.READ)
def dashboard():
    board = console.dashboard(db.engine(), datetime.now(UTC))
    return render_template(
        "admin/dashboard.html",
        board=board,
        bars=chart_bars(board.days),
        chart_width=BAR_PITCH * len(board.days),
        chart_height=CHART_HEIGHT,
        peak=max((d.held + d.warned for d in board.days), default=0),
        phase_labels=PHASE_LABELS,
        when=when,
    )


def chart_bars(days: list[console.DayCount]) -> list[Bar]:
    """Stacked columns scaled so the busiest day fills the chart's height."""
    peak = max((d.held + d.warned for d in days), default=0) or 1
    bars = []
    for index, day in enumerate(days):
        held, warned = CHART_HEIGHT * day.held / peak, CHART_HEIGHT * day.warned / peak
        label = f"{day.day.isoformat()}: {day.held} held, {day.warned} warned"
        bars.append(Bar(index * BAR_PITCH, CHART_HEIGHT - held, held, CHART_HEIGHT - held - warned, warned, label))
    return bars
