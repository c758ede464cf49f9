#!/usr/bin/env python3
"""Screenshots of the daily digest at phone and desktop width, for the README.

Builds a demo store (SQLite in a temp dir, the fixed data of ``tests/digest/digest_seed.py``,
clock fixed at Tuesday 9 June 2026 08:00 Berlin), renders the HTML, checks it with
``coffeechat.domain.html_check`` and has headless Chromium photograph it:

    python scripts/digest_screenshots.py            # docs/digest-phone.png, docs/digest-desktop.png
    python scripts/digest_screenshots.py --dark     # also docs/digest-phone-dark.png
    python scripts/digest_screenshots.py --html-only out.html

Chromium comes from Debian: ``apt-get update && apt-get install -y chromium``.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "digest"))

from digest_seed import NOW, demo_settings, populate  # noqa: E402

from coffeechat.domain.html_check import check_email_html  # noqa: E402
from coffeechat.service.digest import allowed_links, gather, render_digest  # noqa: E402
from coffeechat.store.db import Store  # noqa: E402

WIDTHS = {"phone": 375, "desktop": 1280}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def demo_html(workdir: Path) -> str:
    settings = demo_settings()
    store = Store(f"sqlite:///{workdir / 'demo.sqlite3'}")
    try:
        account_id = populate(store, settings)
        data = gather(store, account_id, settings, NOW)
    finally:
        store.close()
    html = render_digest(data, settings).html
    problems = check_email_html(html, allowed_links(data))
    if problems:
        raise SystemExit(
            "the digest HTML fails the mail-client check:\n" + "\n".join(map(str, problems))
        )
    return html


def find_chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        "chromium is not installed, so no screenshots were taken.\n"
        "Install it with: apt-get update && apt-get install -y chromium"
    )


def screenshot(browser: str, page: Path, out: Path, width: int, *, dark: bool = False) -> None:
    """One full-length PNG: a tall window, then trimmed to the page's content."""
    with tempfile.TemporaryDirectory(prefix="digest-chromium-") as profile:
        args = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={width},{7000 if width < 600 else 5000}",
        ]
        if dark:
            args.append("--force-dark-mode")
            args.append("--blink-settings=preferredColorScheme=0")
        args.append(page.as_uri())
        result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 or not out.is_file():
        raise SystemExit(f"chromium failed ({result.returncode}):\n{result.stderr[-2000:]}")
    trim_bottom(out)


def read_png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and unfiltered rows of an 8-bit RGB(A) PNG (stdlib only)."""
    data = path.read_bytes()
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += size + 12
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    if depth != 8 or colour not in (2, 6) or header[12] != 0:
        raise ValueError(f"{path}: not an 8-bit, non-interlaced RGB(A) PNG")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def write_png(path: Path, width: int, bpp: int, rows: list[bytes]) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2 if bpp == 3 else 6, 0, 0, 0)
    body = zlib.compress(b"".join(b"\x00" + r for r in rows), 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def trim_bottom(png: Path, margin: int = 24) -> None:
    """Cut the empty page colour below the content: the window is taller than the digest."""
    width, _height, bpp, rows = read_png(png)
    background = rows[-1]
    bottom = len(rows)
    while bottom > 1 and rows[bottom - 1] == background:
        bottom -= 1
    write_png(png, width, bpp, rows[: min(len(rows), bottom + margin)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="Where the PNGs go.")
    parser.add_argument("--dark", action="store_true", help="Also a phone shot in dark mode.")
    parser.add_argument("--html-only", type=Path, help="Write the demo HTML here and stop.")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="digest-demo-") as tmp:
        work = Path(tmp)
        html = demo_html(work)
        if args.html_only:
            args.html_only.write_text(html, encoding="utf-8")
            print(f"wrote {args.html_only}")
            return 0
        browser = find_chromium()
        page = work / "digest.html"
        page.write_text(html, encoding="utf-8")
        args.out.mkdir(parents=True, exist_ok=True)
        shots = [(f"digest-{name}.png", width, False) for name, width in WIDTHS.items()]
        if args.dark:
            shots.append(("digest-phone-dark.png", WIDTHS["phone"], True))
        for name, width, dark in shots:
            screenshot(browser, page, args.out / name, width, dark=dark)
            print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
