from ipwhl_checks.cli import COMMANDS, main

from .conftest import run_ipwhl


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_help_lists_every_command():
    out = run_ipwhl("--help").stdout
    for name in COMMANDS:
        assert name in out
