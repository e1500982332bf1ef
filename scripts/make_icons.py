"""Regenerate the Leerkring app icons in ``app/static/icons/``.

The PNG icons are committed to the repository; this script is only needed
when the design changes. It uses Pillow only:

    .venv/bin/python scripts/make_icons.py

The motif is a "learning circle" (kring): six small white circles -- the
colleagues -- arranged in a ring around a centre dot, joined by a thin ring.
Everything is drawn at 4x the target size and downscaled with LANCZOS for
clean anti-aliasing.

Files written:

* ``icon-192.png``, ``icon-512.png`` -- purpose "any": rounded teal tile.
* ``maskable-512.png`` -- purpose "maskable": full-bleed teal, motif inside
  the central safe zone (radius ~0.3 of the size; the spec allows 0.4).
* ``apple-touch-icon.png`` (180) -- full-bleed square, iOS rounds it itself.
* ``badge-72.png`` -- white motif on transparency (Android notification badge).
* ``favicon-32.png`` -- the rounded tile, small.
* ``brand-84.png`` -- the tile in the top bar, shown at 28 CSS pixels: drawn for
  phones at three device pixels per CSS pixel, and without the ring, like the
  favicon, because it is seen as small as the favicon.

Images are saved as optimised 64-colour palette PNGs to keep them small.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 110, 105, 255)  # #0b6e69, deep teal
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
SCALE = 4  # supersampling factor

OUT_DIR = Path(__file__).resolve().parent.parent / "app" / "static" / "icons"


def draw_motif(draw: ImageDraw.ImageDraw, cx: float, cy: float, extent: float,
               *, ring: bool = True) -> None:
    """Draw the white learning-circle motif; ``extent`` is its outer radius."""
    dot_r = extent * 0.23          # radius of each "person"
    ring_r = extent - dot_r        # radius of the circle the people sit on
    centre_r = extent * 0.17       # the shared centre (the case discussed)

    if ring:
        width = max(1, round(extent * 0.07))
        draw.ellipse((cx - ring_r, cy - ring_r, cx + ring_r, cy + ring_r),
                     outline=WHITE, width=width)

    for i in range(6):
        a = -math.pi / 2 + i * math.pi / 3  # first person at the top
        x = cx + ring_r * math.cos(a)
        y = cy + ring_r * math.sin(a)
        draw.ellipse((x - dot_r, y - dot_r, x + dot_r, y + dot_r), fill=WHITE)

    draw.ellipse((cx - centre_r, cy - centre_r, cx + centre_r, cy + centre_r),
                 fill=WHITE)


def render(size: int, *, style: str, ring: bool | None = None) -> Image.Image:
    """Render one icon. ``style`` is "tile", "fullbleed" or "badge"; ``ring`` defaults to
    whether the icon is large enough for it."""
    big = size * SCALE
    img = Image.new("RGBA", (big, big), CLEAR)
    draw = ImageDraw.Draw(img)
    c = big / 2

    if style == "tile":
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22,
                               fill=BRAND)
        extent = big * 0.34
    elif style == "fullbleed":
        draw.rectangle((0, 0, big, big), fill=BRAND)
        extent = big * 0.30
    elif style == "badge":
        extent = big * 0.46
    else:
        raise ValueError(style)

    # At tiny sizes the connecting ring just muddies the dots.
    draw_motif(draw, c, c, extent, ring=size >= 48 if ring is None else ring)

    img = img.resize((size, size), Image.LANCZOS)
    if style == "fullbleed":
        img = img.convert("RGB")  # no transparency for maskable / iOS
    return to_palette(img)


def to_palette(img: Image.Image) -> Image.Image:
    """Quantise to a 64-colour palette, snapping near-brand entries to exact.

    The icons are two colours plus anti-aliasing, so a small palette is
    visually lossless and ~5x smaller than truecolour. The quantiser shifts
    colours slightly (#0b6e69 -> #0a6d68), so entries close to the brand
    colour, white, or full (in)visibility are snapped back to the exact value.
    """
    q = img.quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    mode = q.palette.mode  # "RGB" or "RGBA"
    n = len(mode)
    pal = q.getpalette(mode)
    for i in range(0, len(pal), n):
        rgb = pal[i:i + 3]
        for target in (BRAND[:3], WHITE[:3]):
            if max(abs(a - b) for a, b in zip(rgb, target)) <= 6:
                pal[i:i + 3] = target
        if n == 4:
            alpha = pal[i + 3]
            pal[i + 3] = 255 if alpha >= 250 else 0 if alpha <= 5 else alpha
    q.putpalette(pal, mode)
    return q


ICONS = [
    ("icon-192.png", 192, "tile"),
    ("icon-512.png", 512, "tile"),
    ("maskable-512.png", 512, "fullbleed"),
    ("apple-touch-icon.png", 180, "fullbleed"),
    ("badge-72.png", 72, "badge"),
    ("favicon-32.png", 32, "tile"),
    ("brand-84.png", 84, "tile", False),
]


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, size, style, *ring in ICONS:
        path = OUT_DIR / name
        render(size, style=style, ring=ring[0] if ring else None).save(path, optimize=True)
        print(f"{path.relative_to(OUT_DIR.parent.parent.parent)}  "
              f"{size}x{size}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
