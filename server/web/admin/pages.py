"""Imports every admin page module, so each registers its routes and its NAV entry on the blueprint."""

# The navigation lists the pages in the order they are imported here.
# isort: off
from . import dashboard  # noqa: F401
from . import departures  # noqa: F401
from . import clients  # noqa: F401
from . import uploads  # noqa: F401  (CSV imports of both; no NAV entry)
from . import policy  # noqa: F401
from . import signoffs  # noqa: F401
from . import audit  # noqa: F401
from . import syncs  # noqa: F401
