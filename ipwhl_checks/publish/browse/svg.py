"""The site's two pictures, drawn at publish time as inline SVG (no script draws them).

* :func:`neighbourhood`: a project between what it needs (right) and what needs it (left),
  each name a link to its page;
* :func:`coverage`: the whole repository over its environments (Python versions x
  platforms): how many projects install on each, and how many of those by a compiled wheel.

Colours are presentation attributes, which the site's CSS restyles (a dark theme); the
pictures stay readable without it.  Deterministic: integer coordinates, fixed fonts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .html import e, url

__all__ = ["Neighbour", "coverage", "neighbourhood", "platform_label"]

_ROW, _NODE_H, _NODE_W, _SHOWN = 32, 24, 210, 10
_CHARS = 27  # of a name that fit in a node at 12px


@dataclass(frozen=True)
class Neighbour:
    """A project drawn beside another: its name, whether only an extra asks for it, and the
    page its node links (empty: no page)."""

    name: str
    optional: bool = False
    href: str = ""


def _short(name: str, chars: int = _CHARS) -> str:
    return name if len(name) <= chars else name[:chars - 1] + "\u2026"


def _node(x: int, y: int, n: Neighbour, cls: str) -> str:
    box = (f'<rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="5" '
           f'fill="#eef3fb" stroke="#7a93b8"/>'
           f'<text x="{x + 10}" y="{y + 16}" font-size="12" fill="#1b2b45">{e(_short(n.name))}'
           "</text>")
    title = f"<title>{e(n.name)}{' (for an extra)' if n.optional else ''}</title>"
    if n.href:
        return f'<a href="{url(n.href)}" class="{cls}">{title}{box}</a>'
    return f'<g class="{cls}">{title}{box}</g>'


def _edge(x1: int, y1: int, x2: int, y2: int, optional: bool) -> str:
    middle = (x1 + x2) // 2
    dash = ' stroke-dasharray="5 4"' if optional else ""
    cls = "g-edge g-opt" if optional else "g-edge"
    return (f'<path class="{cls}" d="M{x1} {y1}C{middle} {y1} {middle} {y2} {x2} {y2}" '
            f'fill="none" stroke="#8a9bb5" stroke-width="1.5"{dash}/>')


def _column(items: Sequence[Neighbour], more_href: str) -> list[Neighbour]:
    if len(items) <= _SHOWN:
        return list(items)
    rest = len(items) - (_SHOWN - 1)
    return [*items[:_SHOWN - 1], Neighbour(f"+ {rest} more", href=more_href)]


def neighbourhood(name: str, version: str, needs: Sequence[Neighbour],
                  needed_by: Sequence[Neighbour]) -> str:
    """The project *name* with its dependencies (*needs*) on the right and its dependents
    (*needed_by*) on the left, at most ten a side (the tenth then says how many more)."""
    left = _column(needed_by, "#required-by")
    right = _column(needs, "#dependencies")
    rows = max(len(left), len(right), 1)
    top = 30
    height = top + rows * _ROW + 8
    width = 3 * _NODE_W + 2 * 65 + 20
    xl, xc, xr = 10, 10 + _NODE_W + 65, 10 + 2 * (_NODE_W + 65)
    yc = top + (rows * _ROW - _NODE_H) // 2 - 4
    parts = [
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="graph-title" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif">',
        f'<title id="graph-title">{e(name)}: {len(needs)} '
        f"dependenc{'y' if len(needs) == 1 else 'ies'}, {len(needed_by)} "
        f"dependent{'' if len(needed_by) == 1 else 's'}</title>",
        f'<text class="g-head" x="{xl}" y="16" font-size="12" fill="#56657d">'
        f"Required by ({len(needed_by)})</text>",
        f'<text class="g-head" x="{xr}" y="16" font-size="12" fill="#56657d">'
        f"Depends on ({len(needs)})</text>",
    ]

    def y_of(i: int, count: int) -> int:
        return top + (rows - count) * _ROW // 2 + i * _ROW

    for i, n in enumerate(left):
        y = y_of(i, len(left))
        parts.append(_edge(xl + _NODE_W, y + _NODE_H // 2, xc, yc + _NODE_H // 2, n.optional))
    for i, n in enumerate(right):
        y = y_of(i, len(right))
        parts.append(_edge(xc + _NODE_W, yc + _NODE_H // 2, xr, y + _NODE_H // 2, n.optional))
    for i, n in enumerate(left):
        parts.append(_node(xl, y_of(i, len(left)), n, "g-node"))
    for i, n in enumerate(right):
        parts.append(_node(xr, y_of(i, len(right)), n, "g-node g-opt" if n.optional
                           else "g-node"))
    label = _short(f"{name} {version}".strip(), _CHARS)
    parts.append(f'<g class="g-self"><rect x="{xc}" y="{yc}" width="{_NODE_W}" '
                 f'height="{_NODE_H}" rx="5" fill="#2f5d9e" stroke="#2f5d9e"/>'
                 f'<text x="{xc + 10}" y="{yc + 16}" font-size="12" font-weight="bold" '
                 f'fill="#ffffff">{e(label)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


_LINUX = re.compile(r"(many|musl)linux_(\d+)_(\d+)_(\w+)")
_MAC = re.compile(r"macosx_(\d+)_(\d+)_(\w+)")


def platform_label(platform: str) -> tuple[str, str]:
    """(system, machine) of a platform tag, for a heading: ``('glibc 2.28', 'x86_64')``."""
    if m := _LINUX.fullmatch(platform):
        return (f"{'glibc' if m[1] == 'many' else 'musl'} {m[2]}.{m[3]}", m[4])
    if m := _MAC.fullmatch(platform):
        return (f"macOS {m[1]}.{m[2]}", m[3])
    if platform.startswith("win"):
        return ("Windows", platform.partition("_")[2] or "x86")
    return (platform, "")


_CELL_W, _CELL_H, _LABEL_W, _HEAD_H = 150, 64, 112, 44


def _fill(share: float) -> str:
    if share >= 1:
        return "#cfe8d4"
    if share >= 0.9:
        return "#e3f0d0"
    if share >= 0.5:
        return "#f6ecc9"
    return "#f6d5d5"


def coverage(pythons: Sequence[str], platforms: Sequence[str], names: Sequence[str],
             counts: Sequence[tuple[int, int]], total: int) -> str:
    """A grid of the environments: for each (Python, platform), in the settings' order
    (Python-major, as *names* and *counts*), how many of the *total* projects install there
    and how many of those by a compiled (platform-specific) wheel."""
    width = _LABEL_W + _CELL_W * len(platforms) + 4
    height = _HEAD_H + _CELL_H * len(pythons) + 4
    parts = [
        f'<svg class="coverage" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" '
        'aria-labelledby="coverage-title" '
        'font-family="system-ui, -apple-system, Segoe UI, sans-serif">',
        f'<title id="coverage-title">Projects installable on each of the '
        f"{len(pythons) * len(platforms)} environments</title>",
    ]
    for j, platform in enumerate(platforms):
        system, machine = platform_label(platform)
        x = _LABEL_W + j * _CELL_W + _CELL_W // 2
        parts.append(f'<text class="c-head" x="{x}" y="17" font-size="12" font-weight="bold" '
                     f'text-anchor="middle" fill="#1b2b45">{e(system)}</text>'
                     f'<text class="c-sub" x="{x}" y="33" font-size="11" text-anchor="middle" '
                     f'fill="#56657d">{e(machine)}</text>')
    for i, python in enumerate(pythons):
        y = _HEAD_H + i * _CELL_H
        parts.append(f'<text class="c-head" x="8" y="{y + _CELL_H // 2 + 4}" font-size="12" '
                     f'font-weight="bold" fill="#1b2b45">CPython {e(python)}</text>')
        for j in range(len(platforms)):
            installs, compiled = counts[i * len(platforms) + j]
            share = installs / total if total else 1.0
            x = _LABEL_W + j * _CELL_W
            inner = _CELL_W - 8
            binary = round(inner * compiled / total) if total else 0
            pure = round(inner * (installs - compiled) / total) if total else 0
            env = names[i * len(platforms) + j]
            parts.append(
                f'<g class="c-cell" data-env="{e(env)}"><title>{e(env)}: {installs} of {total} '
                f"projects install, {compiled} by a compiled wheel</title>"
                f'<rect x="{x + 2}" y="{y + 2}" width="{_CELL_W - 4}" height="{_CELL_H - 4}" '
                f'rx="6" fill="{_fill(share)}"/>'
                f'<text x="{x + 12}" y="{y + 27}" font-size="18" font-weight="bold" '
                f'fill="#1b2b45">{installs:,}</text>'
                f'<text x="{x + 12}" y="{y + 43}" font-size="11" fill="#3d4b63">of {total:,}'
                f" \u00b7 {compiled:,} compiled</text>"
                f'<rect class="c-bin" x="{x + 4}" y="{y + 50}" width="{binary}" height="6" '
                'fill="#2f5d9e"/>'
                f'<rect class="c-pure" x="{x + 4 + binary}" y="{y + 50}" width="{pure}" '
                'height="6" fill="#9fb6d8"/></g>')
    parts.append("</svg>")
    return "".join(parts)
