"""Draw Pulse's Teams icons: a heartbeat line on a rounded square (color) and in white (outline).

Teams rules: the color icon is 192×192; the outline icon is 32×32 with a transparent background and
only white (or transparent) pixels. Run `.venv/bin/python scripts/make_icons.py`; the PNGs are
committed under manifest/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_DIR = ROOT / "manifest"

BACKGROUND = (11, 110, 79, 255)  # #0B6E4F, the manifest's accentColor
LINE = (255, 255, 255, 255)
SUPERSAMPLE = 8

# The heartbeat polyline, in unit coordinates (0..1) of the drawing area.
PULSE_POINTS: tuple[tuple[float, float], ...] = (
    (0.00, 0.55),
    (0.28, 0.55),
    (0.36, 0.40),
    (0.46, 0.80),
    (0.58, 0.18),
    (0.68, 0.62),
    (0.74, 0.55),
    (1.00, 0.55),
)


def _pulse_line(
    draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], width: int
) -> None:
    left, top, right, bottom = box
    points = [(left + x * (right - left), top + y * (bottom - top)) for x, y in PULSE_POINTS]
    draw.line(points, fill=LINE, width=width, joint="curve")
    radius = width / 2
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=LINE)


def make_color(size: int = 192) -> Image.Image:
    """The full-colour icon: white heartbeat on a green rounded square, opaque corners inside."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BACKGROUND)
    margin = big * 0.16
    _pulse_line(draw, (margin, margin, big - margin, big - margin), width=int(big * 0.07))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def make_outline(size: int = 32) -> Image.Image:
    """The outline icon: white heartbeat on a transparent background, nothing but white pixels."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = big * 0.06
    _pulse_line(draw, (margin, margin, big - margin, big - margin), width=int(big * 0.09))
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    # Anti-aliasing may blend colour into the edge pixels: keep only the alpha, force pure white.
    alpha = small.getchannel("A")
    white = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    white.putalpha(alpha)
    return white


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=MANIFEST_DIR, help="output directory")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    make_color().save(out / "color.png", optimize=True)
    make_outline().save(out / "outline.png", optimize=True)
    print(f"wrote {out / 'color.png'} and {out / 'outline.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
