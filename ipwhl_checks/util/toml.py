"""TOML read as outside input: every failure is one :class:`TomlError` line.

``tomllib`` raises :class:`tomllib.TOMLDecodeError` for bad syntax, but a hostile file
gets other exceptions out of it: :class:`RecursionError` for arrays or tables nested a
few thousand deep (Python 3.11's parser recurses once per level) and a plain
:class:`ValueError` for an integer of more digits than ``int()`` converts
(``sys.get_int_max_str_digits()``, 4300 by default).  Every reader of a data tree's TOML
goes through :func:`loads`.
"""

from __future__ import annotations

import sys
import tomllib
from typing import Any

__all__ = ["TomlError", "loads"]


class TomlError(ValueError):
    """The text is not TOML this tool reads; the message says why in a few words (the
    line and column where the parser gives them)."""


def loads(text: str) -> dict[str, Any]:
    """The table of the TOML document *text*; :class:`TomlError` if there is none."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TomlError(str(e)) from None
    except RecursionError:
        raise TomlError("arrays or tables nested too deep") from None
    except ValueError:  # int(): "Exceeds the limit (4300 digits) for integer string ..."
        raise TomlError(f"a number of more than {sys.get_int_max_str_digits()} "
                        "digits") from None
