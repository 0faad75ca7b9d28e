"""Fixtures of the page tests: the app with the admin console's people and roles, and an admin signed in."""

import pytest

from .register_helpers import ADMIN, signed_in, with_roles


@pytest.fixture
def console(app):
    """The conftest app with the console's people and their roles (a test module may define its own)."""
    return with_roles(app)


@pytest.fixture
def admin(console):
    """A test client signed in as the admin."""
    return signed_in(console.test_client(), ADMIN)
