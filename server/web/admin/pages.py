"""Imports every admin page module, so each registers its routes and its NAV entry on the blueprint."""

from . import dashboard  # noqa: F401
