"""Writing the add-ins' manifests to a folder: every file complete, or none replaced.

`outlook_files(addin)` renders everything in memory first; `write(files, folder)` then
puts each in place through a temporary file and a rename, so an interrupted run never
leaves a half-written manifest for an admin to upload.

Files: manifest.xml (add-in only manifest), manifest.json with color.png, outline.png,
es.json and ru.json (the unified manifest and the files it names), and
leaverguard-outlook.zip, the app package of the unified manifest as the Microsoft 365
admin center takes it. For Gmail: gmail-deployment.json, the add-on's deployment resource.

Must not import Flask.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from . import gmail, icons, outlook_json, outlook_xml
from .outlook import OutlookAddin

XML_MANIFEST, JSON_MANIFEST, APP_PACKAGE = "manifest.xml", "manifest.json", "leaverguard-outlook.zip"
GMAIL_DEPLOYMENT = "gmail-deployment.json"


def outlook_files(addin: OutlookAddin) -> dict[str, bytes]:
    """File name -> content of every file the `manifest outlook` command writes."""
    unified = {
        JSON_MANIFEST: _json(outlook_json.render(addin)),
        outlook_json.COLOR_ICON: icons.color_icon(outlook_json.ACCENT_COLOR),
        outlook_json.OUTLINE_ICON: icons.outline_icon(),
    } | {name: _json(doc) for name, doc in outlook_json.localizations(addin).items()}
    return {XML_MANIFEST: outlook_xml.render(addin).encode("utf-8")} | unified | {APP_PACKAGE: _zip(unified)}


def gmail_files(base_url: str) -> dict[str, bytes]:
    """What the `manifest gmail` command writes (sites.BadBaseUrl when the base URL cannot host the add-on)."""
    return {GMAIL_DEPLOYMENT: _json(gmail.deployment(base_url))}


def write(files: dict[str, bytes], folder: Path) -> list[Path]:
    """Write `files` into `folder` (created if missing); OSError when that is impossible."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        target = folder / name
        temporary = folder / f".{name}.partial"
        try:
            temporary.write_bytes(content)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        written.append(target)
    return written


def _json(value: object) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    """The app package: the manifest and its files at the archive's root, with a fixed date so builds repeat."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
