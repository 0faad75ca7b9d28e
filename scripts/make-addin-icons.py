#!/usr/bin/env python3
"""Draw the Outlook add-in's icons (addin/outlook/assets/icon-<size>.png) with the standard library only.

A white shield with a check mark on a blue rounded square, anti-aliased by 4x4 supersampling. Run it again
after changing the drawing: `python3 scripts/make-addin-icons.py`; the PNGs are committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZES = (16, 32, 64, 80, 128)
OUT = Path(__file__).resolve().parent.parent / "addin" / "outlook" / "assets"
BLUE, WHITE = (15, 92, 168), (255, 255, 255)
SAMPLES = 4


def inside_rounded_square(x: float, y: float) -> bool:
    r = 0.18
    cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def inside_shield(x: float, y: float) -> bool:
    if not 0.22 <= x <= 0.78 or not 0.16 <= y <= 0.86:
        return False
    if y <= 0.5:
        return True
    # the lower half narrows to a point at the bottom
    half_width = 0.28 * (1 - ((y - 0.5) / 0.36) ** 1.6)
    return abs(x - 0.5) <= half_width


def on_check_mark(x: float, y: float) -> bool:
    def near(ax, ay, bx, by):
        t = max(0.0, min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
        px, py = ax + t * (bx - ax), ay + t * (by - ay)
        return (x - px) ** 2 + (y - py) ** 2 <= 0.045**2

    return near(0.36, 0.48, 0.47, 0.6) or near(0.47, 0.6, 0.66, 0.36)


def colour_at(x: float, y: float) -> tuple[int, int, int, int]:
    if not inside_rounded_square(x, y):
        return (0, 0, 0, 0)
    if inside_shield(x, y) and not on_check_mark(x, y):
        return (*WHITE, 255)
    return (*BLUE, 255)


def pixel(px: int, py: int, size: int) -> bytes:
    total = [0, 0, 0, 0]
    for sy in range(SAMPLES):
        for sx in range(SAMPLES):
            r, g, b, a = colour_at((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)
            total = [total[0] + r * a, total[1] + g * a, total[2] + b * a, total[3] + a]
    alpha = total[3] / SAMPLES**2
    if not total[3]:
        return bytes(4)
    return bytes([round(total[0] / total[3]), round(total[1] / total[3]), round(total[2] / total[3]), round(alpha)])


def png(size: int) -> bytes:
    rows = b"".join(b"\x00" + b"".join(pixel(x, y, size) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (OUT / f"icon-{size}.png").write_bytes(png(size))
        print(f"wrote {OUT / f'icon-{size}.png'}")
