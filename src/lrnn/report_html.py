"""The HTML pieces of lrnn's report: the page, its style and its small building blocks.

Kept apart from :mod:`lrnn.report` (what goes into each section) so both stay readable; every
piece escapes what it is given and inlines pictures as ``data:`` URIs, so the page needs
nothing from the network.
"""

from __future__ import annotations

import base64
import html
import json
import math
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrnn._version import __version__
from lrnn.errors import LrnnError, printable

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; background: #fff; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid #e3e3e3; padding-bottom: .2rem;
     margin-top: 2.2rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; }
nav a { color: #1f5fa8; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .92rem; }
.scroll { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #d6d6d6; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f3f5f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: .8rem 0; }
img { max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
caption { text-align: left; caption-side: top; padding: .2rem 0; color: #555; }
figcaption, .note { color: #555; font-size: .92rem; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .88rem;
       word-break: break-all; }
.wrong { color: #b3261e; }
caption, figcaption, .note { overflow-wrap: anywhere; }
td, th { overflow-wrap: break-word; }
td.num { white-space: nowrap; }
@media print {
  .scroll { overflow: visible; }
  table { width: 100%; }
  h2, h3 { break-after: avoid; }
  figure, tr, img { break-inside: avoid; }
}
"""

# No scripts, no network: images only from data: URIs, styles only inline.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'"


class _Page:
    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[tuple[str, str, str]] = []

    def section(self, section_id: str, heading: str, body: str) -> None:
        self.sections.append((section_id, heading, body))

    def render(self) -> str:
        def e(text: str) -> str:  # no markup in a <title>: control characters written out only
            return html.escape(printable(text, keep="\n\t"))

        nav = "".join(f'<li><a href="#{sid}">{e(h)}</a></li>' for sid, h, _ in self.sections)
        body = "\n".join(
            f'<section id="{sid}">\n<h2>{e(h)}</h2>\n{content}\n</section>'
            for sid, h, content in self.sections
        )
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="lrnn {e(__version__)}">\n'
            f"<title>{e(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<header>\n<h1>{e(self.title)}</h1>\n"
            f'<p class="note">Made by lrnn {e(__version__)}. Everything is in this one file: '
            "no scripts, nothing loaded from the network.</p>\n"
            f'<nav aria-label="Sections"><ul>{nav}</ul></nav>\n</header>\n'
            f"<main>\n{body}\n</main>\n</body>\n</html>\n"
        )


#: First Strong Isolate and Pop Directional Isolate: a name between them is laid out on its
#: own, as <bdi> does. A Hebrew or Arabic class name in "negative: A · positive: B" or
#: "A: 120 (40 %)" otherwise pulls the punctuation and numbers beside it into its right-to-left
#: run, and the sentence reads scrambled. Names cannot hold these characters themselves (they
#: are refused as control characters), so :func:`_escaped` turns each pair into a <bdi> element,
#: and where no markup may go (an image's alt text) the characters do the same job.
_ISOLATE, _POP = "\u2068", "\u2069"


def isolated(name: Any) -> str:
    """A name (a class, a feature, a word) set apart from the text around it; see _ISOLATE."""
    return f"{_ISOLATE}{name}{_POP}"


def _escaped(text: str) -> str:
    """Text as HTML, each isolated name a <bdi> element, and any other control character
    written out (ESC as \\x1b): a model file's strings reach the page, and a terminal escape
    in them would retitle or recolour the terminal of whoever runs cat on the report."""
    text = printable(text, keep="\n\t" + _ISOLATE + _POP)
    return html.escape(text).replace(_ISOLATE, "<bdi>").replace(_POP, "</bdi>")


def _fmt(value: Any, limit: int | None = 400) -> str:
    """A value as short text: 6 significant digits, — for missing, compact JSON for the rest
    (cut at ``limit`` characters; None keeps it whole)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        return "—" if math.isnan(v) else f"{v:.6g}"
    if isinstance(value, str):
        return value
    text = json.dumps(value, default=str, sort_keys=True)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _td(value: Any, *, align_numbers: bool = True) -> str:
    """One cell; numbers right-aligned (columns of them line up) unless told otherwise."""
    numeric = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
    css = ' class="num"' if numeric and align_numbers else ""
    return f"<td{css}>{_escaped(_fmt(value))}</td>"


def _facts(rows: Sequence[tuple[str, Any]]) -> str:
    """A two-column table of label → value (values of mixed kinds, so all left-aligned)."""
    body = "".join(
        f'<tr><th scope="row">{_escaped(k)}</th>{_td(v, align_numbers=False)}</tr>' for k, v in rows
    )
    return scrolling(f"<table>\n<tbody>{body}</tbody>\n</table>")


def _grid(header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A table with a header row; ``caption`` says what it is."""
    head = "".join(f'<th scope="col">{_escaped(h)}</th>' for h in header)
    body = "\n".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{_escaped(caption)}</caption>" if caption else ""
    return scrolling(
        f"<table>{cap}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
    )


def scrolling(table: str) -> str:
    """A table in a box that scrolls sideways on a narrow screen, instead of the whole page
    (a confusion matrix of ten classes is wider than a phone)."""
    return f'<div class="scroll">{table}</div>'


def _note(text: str) -> str:
    return f'<p class="note">{_escaped(text)}</p>'


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), to give every <img> its true size."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise LrnnError("a plot did not produce a PNG image; this is a bug in lrnn.")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _figure(path: Path, alt: str, caption: str) -> str:
    data = path.read_bytes()
    width, height = _png_size(data)
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure>\n<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}" '
        f'width="{width}" height="{height}">\n'
        f"<figcaption>{_escaped(caption)}</figcaption>\n</figure>"
    )


# --------------------------------------------------------------------------------------------
# Sections
