"""The README is the front door: its configuration table must list every setting."""

from pathlib import Path

from server.config import PREFIX, SETTINGS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_configuration_table_lists_every_setting():
    missing = [PREFIX + name for name in SETTINGS if f"`{PREFIX}{name}`" not in README]
    assert missing == []


def test_readme_documents_the_database_url():
    assert "`DATABASE_URL`" in README
