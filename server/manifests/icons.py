"""The two icons of the unified manifest's app package, drawn in code: a white envelope on the accent colour.

Microsoft asks for `color.png` (192×192, full colour) and `outline.png` (32×32, white on
transparent). They are drawn here rather than shipped so the package is built from one
place; the add-in's ribbon icons are the add-in's own files (addin/outlook/assets/).

Pure: returns PNG bytes (stdlib zlib and struct only).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = tuple[int, int, int, int]
WHITE: Pixel = (255, 255, 255, 255)
CLEAR: Pixel = (0, 0, 0, 0)


def color_icon(accent: str) -> bytes:
    background = (*bytes.fromhex(accent.removeprefix("#")), 255)
    return png(192, 192, lambda x, y: WHITE if _envelope((x + 0.5) / 192, (y + 0.5) / 192, 0.045) else background)


def outline_icon() -> bytes:
    return png(32, 32, lambda x, y: WHITE if _envelope((x + 0.5) / 32, (y + 0.5) / 32, 0.07) else CLEAR)


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGBA PNG whose pixel (x, y) is `pixel(x, y)`."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits, RGBA, no interlace
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _envelope(u: float, v: float, stroke: float) -> bool:
    """Whether (u, v) in the unit square lies on the envelope's outline or flap lines."""
    left, right, top, bottom = 0.18, 0.82, 0.28, 0.72
    inside_outer = left <= u <= right and top <= v <= bottom
    inside_inner = left + stroke < u < right - stroke and top + stroke < v < bottom - stroke
    if inside_outer and not inside_inner:
        return True
    tip = (0.5, 0.52)
    flap = _near_segment(u, v, (left, top), tip, stroke / 2) or _near_segment(u, v, (right, top), tip, stroke / 2)
    return inside_outer and flap


def _near_segment(u: float, v: float, a: tuple[float, float], b: tuple[float, float], distance: float) -> bool:
    (ax, ay), (bx, by) = a, b
    length2 = (bx - ax) ** 2 + (by - ay) ** 2
    t = max(0.0, min(1.0, ((u - ax) * (bx - ax) + (v - ay) * (by - ay)) / length2))
    return (u - ax - t * (bx - ax)) ** 2 + (v - ay - t * (by - ay)) ** 2 <= distance**2
