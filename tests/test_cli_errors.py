"""Usage errors are one line too: what is wrong and where to look, never a usage block."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from clonebot.cli import _register_builtin, _register_plugins, cli

_register_builtin()
_register_plugins()


@pytest.mark.parametrize("args, says", [
    (["train", "--max-steps", "-5"], "'--max-steps'"),
    (["prepare"], "Missing argument 'EXPORT'"),
    (["nosuch"], "No such command 'nosuch'"),
    (["adapters", "use"], "Missing argument"),
    (["pii", "scan", "--no-such-flag"], "--no-such-flag"),
])
def test_usage_errors_are_one_line(args, says):
    res = CliRunner().invoke(cli, args)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], res.output
    assert "--help" in lines[0]


def test_help_and_version_still_exit_zero():
    assert CliRunner().invoke(cli, ["--version"]).exit_code == 0
    res = CliRunner().invoke(cli, ["prepare", "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output
