"""Command-line entry points (`flask --app server …`): demo seeding; imports and exports.

Commands parse arguments, call a service, and print what happened; the logic
lives elsewhere.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask

from . import db, demo


@click.group("demo", help="The demo organisation.")
def demo_cli() -> None:
    pass


@demo_cli.command("seed", help="Seed the demo organisation if the database is empty.")
def seed_command() -> None:
    if demo.seed(db.engine(), datetime.now(UTC)):
        click.echo("seeded the demo organisation (Northwind and its clients)")
    else:
        click.echo("the database already has data; demo not seeded")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
