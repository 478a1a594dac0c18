"""The one place that draws with matplotlib: figures of a size in pixels, saved as PNG or as inline SVG.

matplotlib is imported here, inside the functions, and only its object-oriented API and its Agg
canvas are used (no pyplot, no global figure state, no display): importing it costs ~0.5 s, which
``grade 1`` never pays, and only ``grade 6`` and ``grade batch``'s report draw.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re

from grader.i18n import _

DPI = 100
COLOURS = {"student": "#1f77b4", "other": "#ff7f0e", "reference": "#7f7f7f", "goal": "#d62728", "bar": "#4c72b0"}
STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


@contextlib.contextmanager
def figure(width: int, height: int):
    """``with figure(w, h) as fig:`` a blank matplotlib Figure of ``w`` x ``h`` pixels; what is drawn
    on it inside the block takes the kit's style (matplotlib reads its settings as artists are made)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def png(fig) -> bytes:
    """The figure as PNG bytes of exactly its size in pixels (no metadata, so the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def svg(fig, name: str) -> str:
    """The figure as an ``<svg>`` element to put inside HTML, its ids prefixed with ``name``, which must differ
    between the charts of one page: two inline SVGs must not share an id (matplotlib names every figure's
    groups ``figure_1``, ``axes_1``...). The salt of its hashed ids is ``name`` too, so that the same page
    drawn twice comes out the same (matplotlib's default salt is random)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :].strip()  # without the XML declaration and the DOCTYPE, which HTML does not take
    ids = set(re.findall(r'\bid="([^"]+)"', text))
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    return re.sub(r'(url\(#|href="#)([^")]+)', lambda m: m.group(1) + (f"{name}-" if m.group(2) in ids else "") + m.group(2), text)


def histogram(counts: list[int], edges: list[float], title: str, name: str, width: int = 300, height: int = 170) -> str:
    """Bars of how many students fall in each bin (``edges[i]`` to ``edges[i + 1]`` points): an inline SVG named ``name``."""
    with figure(width, height) as fig:
        axes = fig.add_subplot()
        widths = [right - left for left, right in itertools.pairwise(edges)]
        axes.bar(edges[:-1], counts, width=widths, align="edge", color=COLOURS["bar"], edgecolor="white", linewidth=0.5)
        axes.set_title(title, fontsize=9, loc="left")
        axes.set_xlim(edges[0], edges[-1])
        axes.set_xlabel(_("points"), fontsize=8)
        axes.set_ylabel(_("students"), fontsize=8)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_ylim(0, max([*counts, 1]) * 1.15)
        return svg(fig, name)
