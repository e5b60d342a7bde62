"""Architecture diagrams for the book, drawn with plain matplotlib boxes and arrows.

Only the book imports this module (chapters run with ``book/`` as the working directory, so
``import _diagrams`` works); ``course_lib`` never does. Every public function returns a
``matplotlib.figure.Figure`` and draws nothing that depends on a trained model, so the pictures are
the same on every build.

Conventions of the drawings:

* inputs ``x`` at the bottom, hidden states ``h`` in the middle, outputs ``y`` at the top;
* time runs from left to right, one column per step;
* a box's letter says what it holds, and its fill colour repeats that (green input, blue hidden,
  orange output, purple for a second network such as a decoder), so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["COLORS", "draw_unrolled", "draw_io_patterns"]

COLORS: dict[str, str] = {
    "x": "#d9ead3",  # input: green
    "h": "#cfe2f3",  # hidden state: blue
    "y": "#fce5cd",  # output: orange
    "dec": "#e4d5ee",  # hidden state of a second network (decoder): purple
}
_EDGE = "#333333"
_BOX_W, _BOX_H = 0.78, 0.52  # box size in data units
_ROW = {"x": 0.0, "h": 1.25, "y": 2.5}  # height of each row


def _box(ax: Axes, x: float, row: str, text: str, fill: str, fontsize: float = 12) -> None:
    """Draw one rounded box centred at ``(x, _ROW[row])`` with ``text`` inside."""
    y = _ROW[row]
    patch = FancyBboxPatch(
        (x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
        boxstyle="round,pad=0.02,rounding_size=0.1", facecolor=fill, edgecolor=_EDGE, lw=1.3,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str | None = None,
    label_at: tuple[float, float] | None = None,
    style: str = "-",
    connection: str = "arc3",
) -> None:
    """Draw an arrow from ``start`` to ``end`` (data units), with an optional label.

    ``label_at`` is where the label's centre goes; by default it sits just right of the middle.
    """
    patch = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=13, lw=1.3, color=_EDGE,
        linestyle=style, connectionstyle=connection, shrinkA=0, shrinkB=0,
    )
    ax.add_patch(patch)
    if label:
        if label_at is None:
            label_at = ((start[0] + end[0]) / 2 + 0.17, (start[1] + end[1]) / 2)
        ax.text(*label_at, label, ha="center", va="center", fontsize=10, color="#1f3b73")


def _up(ax: Axes, x: float, lower: str, upper: str, label: str | None = None) -> None:
    """Vertical arrow from the box in row ``lower`` to the box in row ``upper`` at column x."""
    _arrow(
        ax, (x, _ROW[lower] + _BOX_H / 2), (x, _ROW[upper] - _BOX_H / 2), label,
        (x + 0.25, (_ROW[lower] + _ROW[upper]) / 2) if label else None,
    )


def _right(ax: Axes, x0: float, x1: float, label: str | None = None) -> None:
    """Horizontal arrow between the hidden boxes at columns x0 and x1."""
    y = _ROW["h"]
    _arrow(
        ax, (x0 + _BOX_W / 2, y), (x1 - _BOX_W / 2, y), label,
        ((x0 + x1) / 2, y + 0.2) if label else None,
    )


def _finish(
    ax: Axes, xmin: float, xmax: float, title: str | None = None, headroom: float = 0.8
) -> None:
    """Fix the limits and aspect of a diagram axis and hide its frame.

    ``headroom`` is the space kept above the centre of the output row, in data units.
    """
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(_ROW["x"] - 0.55, _ROW["y"] + headroom)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)


def draw_unrolled(steps: int = 4) -> Figure:
    """The folded RNN cell next to the same cell unrolled over ``steps`` time steps.

    Parameters
    ----------
    steps : int
        Number of time steps drawn in the unrolled chain (at least 1).

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axis: on the left the folded cell, whose recurrent arrow feeds ``h`` back into itself
        after a one-step delay; on the right the chain ``h_0 -> h_1 -> ... -> h_steps`` in which
        every column carries the same labels ``W_x``, ``W_h``, ``W_y``: the weights are shared.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    spacing = 1.55
    fig, ax = plt.subplots(figsize=(2.3 + 1.55 * steps + 2.2, 3.6))
    # Folded cell with a self-loop that leaves the right side of h and comes back lower down.
    _box(ax, 0, "x", r"$x_t$", COLORS["x"])
    _box(ax, 0, "h", r"$h_t$", COLORS["h"])
    _box(ax, 0, "y", r"$y_t$", COLORS["y"])
    _up(ax, 0, "x", "h", r"$W_x$")
    _up(ax, 0, "h", "y", r"$W_y$")
    yh = _ROW["h"]
    _arrow(
        ax, (_BOX_W / 2, yh + 0.12), (_BOX_W / 2, yh - 0.12),
        connection="arc,angleA=0,angleB=0,armA=38,armB=38,rad=8",
    )
    ax.text(_BOX_W / 2 + 0.62, yh, r"$W_h$", ha="left", va="center", fontsize=10, color="#1f3b73")
    ax.text(0, _ROW["x"] - 0.48, "folded", ha="center", va="center", fontsize=11, style="italic")
    # The "unroll" arrow between the two drawings.
    _arrow(ax, (1.55, yh), (2.35, yh))
    ax.text(1.95, yh + 0.22, "unroll", ha="center", va="bottom", fontsize=10, style="italic")
    # Unrolled chain: initial state, then one column per step.
    x0 = 3.1
    _box(ax, x0, "h", r"$h_0$", COLORS["h"])
    previous = x0
    for t in range(1, steps + 1):
        xc = x0 + t * spacing
        _box(ax, xc, "x", rf"$x_{t}$", COLORS["x"])
        _box(ax, xc, "h", rf"$h_{t}$", COLORS["h"])
        _box(ax, xc, "y", rf"$y_{t}$", COLORS["y"])
        _up(ax, xc, "x", "h", r"$W_x$")
        _up(ax, xc, "h", "y", r"$W_y$")
        _right(ax, previous, xc, r"$W_h$")
        previous = xc
    xend = x0 + steps * spacing
    ax.text(
        (x0 + xend) / 2, _ROW["x"] - 0.48, f"unrolled over T = {steps} steps (same weights)",
        ha="center", va="center", fontsize=11, style="italic",
    )
    _finish(ax, -0.6, xend + 0.6, headroom=0.4)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class _Pattern:
    """One input/output pattern: which columns have an input and an output, and how they read."""

    title: str
    inputs: tuple[bool, ...]  # column has an input box
    outputs: tuple[bool, ...]  # column has an output box
    reads: str  # which part of (output, h_n) the pattern uses, in course_lib/torch terms
    decoder_from: int | None = None  # first column that belongs to a second (decoder) network
    feedback: bool = False  # dashed arrows: each output is fed to the next step


_PATTERNS: dict[str, _Pattern] = {
    "one-to-one": _Pattern(
        "one-to-one\n(no sequence: a feed-forward net)", (True,), (True,), "T = 1: output[:, 0]"
    ),
    "one-to-many": _Pattern(
        "one-to-many\n(generation, captioning)",
        (True, False, False, False), (True, True, True, True),
        "output[:, t] at every step", feedback=True,
    ),
    "many-to-one": _Pattern(
        "many-to-one\n(sentiment of a sentence)",
        (True, True, True, True), (False, False, False, True),
        "h_n[-1] only",
    ),
    "many-to-many": _Pattern(
        "many-to-many, aligned\n(tagging every word)",
        (True, True, True, True), (True, True, True, True),
        "output[:, t] at every step",
    ),
    "encoder-decoder": _Pattern(
        "encoder-decoder\n(translation: the lengths may differ)",
        (True, True, True, True, True, True), (False, False, False, True, True, True),
        "encoder h_n -> decoder hx; decoder output[:, t]",
        decoder_from=3,
    ),
}


def _draw_pattern(ax: Axes, pattern: _Pattern) -> None:
    """Draw one input/output pattern on ``ax``."""
    spacing = 1.2
    n = len(pattern.inputs)
    previous = None
    for t in range(n):
        xc = t * spacing
        decoder = pattern.decoder_from is not None and t >= pattern.decoder_from
        name = "s" if decoder else "h"
        k = t - pattern.decoder_from + 1 if decoder else t + 1
        _box(ax, xc, "h", rf"${name}_{k}$", COLORS["dec" if decoder else "h"], fontsize=11)
        if pattern.inputs[t]:
            if decoder:  # the decoder reads its own previous output (a start token first)
                text = r"$\langle s\rangle$" if k == 1 else rf"$y_{k - 1}$"
            else:
                text = rf"$x_{k}$"
            _box(ax, xc, "x", text, COLORS["x"], fontsize=11)
            _up(ax, xc, "x", "h")
        if pattern.outputs[t]:
            _box(ax, xc, "y", rf"$y_{k}$", COLORS["y"], fontsize=11)
            _up(ax, xc, "h", "y")
        if previous is not None:
            _right(ax, previous, xc)
            if pattern.feedback:  # from the previous output down to this step's state
                _arrow(
                    ax, (previous + _BOX_W / 2, _ROW["y"] - 0.05),
                    (xc - _BOX_W / 2 + 0.1, _ROW["h"] + _BOX_H / 2), style="--",
                )
        previous = xc
    if pattern.decoder_from is not None:  # a dotted line between the two networks
        xs = (pattern.decoder_from - 0.5) * spacing
        top = _ROW["y"] + 0.55
        ax.plot([xs, xs], [_ROW["x"] - 0.35, top + 0.1], ls=":", color="0.4", lw=1.2)
        ax.text(xs - 0.1, top, "encoder", ha="right", va="center", fontsize=10, style="italic")
        ax.text(xs + 0.1, top, "decoder", ha="left", va="center", fontsize=10, style="italic")
    width = _panel_width(n)
    left = (n - 1) * spacing / 2 - width / 2
    _finish(ax, left, left + width, pattern.title)
    ax.text(
        (n - 1) * spacing / 2, _ROW["x"] - 0.5, f"reads {pattern.reads}", ha="center",
        va="center", fontsize=9.5, family="monospace",
    )


def _panel_width(columns: int) -> float:
    """Width in data units of a pattern panel with this many columns (at least four)."""
    return max(columns, 4) * 1.2 + 0.2


def _draw_legend(ax: Axes) -> None:
    """Explain the four kinds of box used in the pattern panels."""
    entries = [
        ("x", r"$x_t$", "input at step t"),
        ("h", r"$h_t$", "hidden state"),
        ("dec", r"$s_t$", "decoder's state"),
        ("y", r"$y_t$", "output at step t"),
    ]
    for i, (kind, symbol, meaning) in enumerate(entries):
        y = 2.7 - 0.66 * i
        patch = FancyBboxPatch(
            (-_BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H,
            boxstyle="round,pad=0.02,rounding_size=0.1", facecolor=COLORS[kind],
            edgecolor=_EDGE, lw=1.3,
        )
        ax.add_patch(patch)
        ax.text(0, y, symbol, ha="center", va="center", fontsize=11)
        ax.text(_BOX_W / 2 + 0.15, y, meaning, ha="left", va="center", fontsize=10)
    y = 2.7 - 0.66 * len(entries)
    _arrow(ax, (-_BOX_W / 2, y), (_BOX_W / 2, y), style="--")
    ax.text(_BOX_W / 2 + 0.15, y, "output fed back\nas the next input", ha="left", va="center",
            fontsize=10)
    ax.set_xlim(-0.6, 3.2)
    ax.set_ylim(_ROW["x"] - 0.55, _ROW["y"] + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_io_patterns() -> Figure:
    """The five input/output patterns of a recurrent network, one panel each, at one scale.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Top row: one-to-one, one-to-many, many-to-one; bottom row: many-to-many aligned,
        encoder-decoder and a legend of the box colours. Under each panel, which part of a
        ``course_lib`` / ``torch.nn`` RNN's ``(output, h_n)`` the pattern reads, with batch-first
        indexing.
    """
    top = ["one-to-one", "one-to-many", "many-to-one"]
    bottom = ["many-to-many", "encoder-decoder"]
    top_w = [_panel_width(len(_PATTERNS[k].inputs)) for k in top]
    bottom_w = [_panel_width(len(_PATTERNS[k].inputs)) for k in bottom]
    bottom_w.append(sum(top_w) - sum(bottom_w))  # the legend fills the rest: same scale in both
    fig = plt.figure(figsize=(12, 6.6))
    rows = fig.add_gridspec(2, 1)
    top_grid = rows[0].subgridspec(1, 3, width_ratios=top_w)
    bottom_grid = rows[1].subgridspec(1, 3, width_ratios=bottom_w)
    for i, key in enumerate(top):
        _draw_pattern(fig.add_subplot(top_grid[i]), _PATTERNS[key])
    for i, key in enumerate(bottom):
        _draw_pattern(fig.add_subplot(bottom_grid[i]), _PATTERNS[key])
    _draw_legend(fig.add_subplot(bottom_grid[2]))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.02, hspace=0.3, wspace=0.05)
    return fig
