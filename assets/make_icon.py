#!/usr/bin/env python3
"""Draws Marginalia's window icon (assets/icon.png): a page with highlighted lines in the
four default tag colours. Standard library only (zlib + struct), so anyone can re-run it."""
import struct
import zlib
from pathlib import Path

SIZE = 64
BG = (0, 0, 0, 0)
PAGE = (250, 250, 247, 255)
EDGE = (60, 64, 72, 255)
INK = (70, 74, 82, 255)
TAGS = [(0x56, 0xB4, 0xE9), (0xE6, 0x9F, 0x00), (0xD5, 0x5E, 0x00), (0x99, 0x99, 0x99)]


def draw():
    px = [[BG for _ in range(SIZE)] for _ in range(SIZE)]

    def rect(x0, y0, x1, y1, c):
        for y in range(max(0, y0), min(SIZE, y1)):
            for x in range(max(0, x0), min(SIZE, x1)):
                px[y][x] = c

    rect(8, 3, 56, 61, EDGE)
    rect(10, 5, 54, 59, PAGE)
    rows = [(12, 46, 0), (20, 38, None), (28, 48, 1), (36, 30, 2), (44, 44, None), (52, 40, 3)]
    for y, length, tag in rows:
        if tag is not None:
            r, g, b = TAGS[tag]
            rect(13, y - 2, 13 + length - 4, y + 5, (r, g, b, 120))
            rect(13, y + 5, 13 + length - 4, y + 7, (r, g, b, 255))
        rect(15, y, 15 + length - 8, y + 3, INK)
    return px


def png(px):
    raw = b"".join(b"\x00" + b"".join(struct.pack("4B", *p) for p in row) for row in px)

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).with_name("icon.png")
    out.write_bytes(png(draw()))
    print(f"wrote {out}")
