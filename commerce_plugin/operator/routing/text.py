"""
How wide the picture's text is, without a browser: Arial's advance widths (Helvetica's and Liberation
Sans's are the same, so Windows, macOS and Linux draw the text at these widths), and the wrapping of
long dotted names at their dots and slashes so that the boxes stay narrow.

The picture is drawn in that proportional face rather than in a monospace one: dotted names are a
fifth narrower, which is what lets seven stages side by side fit a 1280 px screen at 12 px.
"""

import re
import unicodedata

FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
# Advance widths in thousandths of the font size (Arial / Helvetica AFM); anything else counts as wide.
_WIDTHS = {
    **dict.fromkeys("ijl", 222),
    **dict.fromkeys(" .,:;!/[]ft'\u00b7|", 278),
    **dict.fromkeys("r-()`", 333),
    **dict.fromkeys('*"', 389),
    **dict.fromkeys("cksvxyzJ", 500),
    **dict.fromkeys("abdeghnopqu0123456789_#$?L", 556),
    **dict.fromkeys("<>+=~^", 584),
    **dict.fromkeys("FTZ", 611),
    **dict.fromkeys("ABEKPSVXY&", 667),
    **dict.fromkeys("CDHNRUw", 722),
    **dict.fromkeys("GOQ", 778),
    **dict.fromkeys("mM", 833),
    **dict.fromkeys("%", 889),
    **dict.fromkeys("W", 944),
    **dict.fromkeys("@", 1015),
    "I": 278,
}
_DEFAULT = 600
# Break after these; a piece still too wide breaks again after these (snake_case, kebab-case) and
# between the words of a CamelCase name (a pipeline step's class).
_BREAK, _BREAK_INSIDE = re.compile(r"(?<=[./ ])"), re.compile(r"(?<=[_-])|(?<=[a-z])(?=[A-Z])")


def text_width(text, size):
    """The width of ``text`` at ``size`` px, as Arial draws it (wide scripts count a full em a character)."""
    total = 0
    for char in text:
        wide = unicodedata.east_asian_width(char) in "WF"
        total += 1000 if wide else _WIDTHS.get(char, _DEFAULT)
    return total * size / 1000


def wrap(text, width, size):
    """``text`` in lines no wider than ``width`` px, broken after '.', '/' or a space where it can."""
    pieces = []
    for piece in (part for part in _BREAK.split(text) if part):
        fits = text_width(piece.rstrip(), size) <= width
        pieces += [piece] if fits else [part for part in _BREAK_INSIDE.split(piece) if part]
    lines = []
    for piece in pieces:
        if lines and text_width((lines[-1] + piece).rstrip(), size) <= width:
            lines[-1] += piece
        else:
            lines.append(piece)
    return [line.strip() for line in lines if line.strip()]


def widest(lines, size):
    return max((text_width(line, size) for line in lines), default=0)


def label_lines(label):
    """An arrow's label, one figure a line ("24 h: 3 orders · 1 failed" → two lines)."""
    return [part.strip() for part in label.split(" · ")] if label else []
