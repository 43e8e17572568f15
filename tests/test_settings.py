"""``max-wheel-size`` in ``repository.toml``: the values it takes, and the one-line errors.

Units after the SI and IEC prefixes (powers of 1000 and of 1024); the index's default
upload limit, 100 MiB, is 104857600 bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ipwhl_checks.cli import main
from ipwhl_checks.errors import SettingsError
from ipwhl_checks.repo.settings import format_size, parse_settings

BASE = "profile = 'unixfs-v1-2025'\npython = ['3.12']\nplatforms = ['win_amd64']\n"
PATH = Path("data/repository.toml")

SIZES = [  # the TOML value, the bytes
    ("104857600", 104857600),
    ("'100 MiB'", 104857600),
    ("'100MiB'", 104857600),
    ("'100 MB'", 100_000_000),
    ("'2 GiB'", 2 * 1024**3),
    ("'2 GB'", 2_000_000_000),
    ("'512 KiB'", 524288),
    ("'512 kB'", 512_000),
    ("'1 B'", 1),
    ("'1024 GiB'", 1 << 40),
]
BAD = [  # the TOML value, the message after the path
    ("'100'", "max-wheel-size '100' is not a size (expected bytes, or a whole number and a "
     "unit like '100 MiB')"),
    ("'100 mb'", "max-wheel-size '100 mb' is not a size (expected bytes, or a whole number "
     "and a unit like '100 MiB')"),
    ("'1.5 GB'", "max-wheel-size '1.5 GB' is not a size (expected bytes, or a whole number "
     "and a unit like '100 MiB')"),
    ("'-1 MB'", "max-wheel-size '-1 MB' is not a size (expected bytes, or a whole number and "
     "a unit like '100 MiB')"),
    ("1.5e8", "max-wheel-size '150000000.0' is not a size (expected bytes, or a whole number "
     "and a unit like '100 MiB')"),
    ("true", "max-wheel-size 'True' is not a size (expected bytes, or a whole number and a "
     "unit like '100 MiB')"),
    ("0", "max-wheel-size 0 is not between 1 byte and 1 TiB"),
    ("'0 MiB'", "max-wheel-size '0 MiB' is not between 1 byte and 1 TiB"),
    ("'1025 GiB'", "max-wheel-size '1025 GiB' is not between 1 byte and 1 TiB"),
    ("1099511627777", "max-wheel-size 1099511627777 is not between 1 byte and 1 TiB"),
    ("'11111111111111111 MiB'", "max-wheel-size '11111111111111111 MiB' is not a size "
     "(expected bytes, or a whole number and a unit like '100 MiB')"),
    # (tomllib's int() refuses it with a ValueError, not a TOMLDecodeError)
    ("1" * 5000, "cannot read settings (a number of more than 4300 digits)"),
]


@pytest.mark.parametrize(("value", "size"), SIZES)
def test_max_wheel_size(value: str, size: int) -> None:
    settings = parse_settings(f"{BASE}max-wheel-size = {value}\n".encode(), PATH)
    assert settings.max_wheel_size == size
    assert not settings.over_limit(size) and settings.over_limit(size + 1)
    assert not settings.over_limit(None)  # a size the index did not give


def test_no_limit_by_default() -> None:
    settings = parse_settings(BASE.encode(), PATH)
    assert settings.max_wheel_size is None and not settings.over_limit(1 << 50)


@pytest.mark.parametrize(("value", "message"), BAD)
def test_bad_max_wheel_size(value: str, message: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_settings(f"{BASE}max-wheel-size = {value}\n".encode(), PATH)
    assert str(info.value) == f"{PATH}: {message}"


@pytest.mark.parametrize(("value", "message"), BAD[:1])
def test_bad_max_wheel_size_is_one_line_of_check(tmp_path: Path, value: str, message: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "repository.toml").write_text(f"{BASE}max-wheel-size = {value}\n")
    assert main(["check", "--root", str(data)]) == 1
    assert capsys.readouterr().err == f"ipwhl check: {data / 'repository.toml'}: {message}\n"


@pytest.mark.parametrize(("size", "text"), [
    (104857600, "100 MiB"), (100_000_000, "100.0 MB"), (565_400_000, "565.4 MB"),
    (1 << 30, "1 GiB"), (1536, "1.5 kB"), (2048, "2 KiB"), (999, "999 B"),
    (3_000_000_000, "3.0 GB"),
])
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text
