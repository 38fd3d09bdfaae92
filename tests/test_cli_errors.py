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


def test_the_top_level_help_lists_commands_in_the_order_they_are_used():
    """It listed them alphabetically: adapters, chat, demo, ... login came ninth."""
    res = CliRunner().invoke(cli, ["--help"])
    names = [line.split()[0] for line in res.output.split("Commands:")[1].splitlines()
             if line.strip()]
    order = [c for c in ("demo", "login", "prepare", "train", "eval", "chat", "run", "retrain")]
    assert [n for n in names if n in order] == order, names
    assert "in the order you use them" in res.output


@pytest.mark.parametrize("command", ["run", "eval", "report", "chat", "feedback export"])
def test_adapter_is_one_option_everywhere(command):
    """`--adapter` was a run dir for run/eval/report and RUN_DIR|VERSION for chat."""
    res = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert "--adapter RUN_DIR|VERSION" in res.output and "version name" in res.output


def test_run_takes_a_version_name(tmp_path, monkeypatch):
    """A version name used to be refused by click as a missing directory."""
    monkeypatch.chdir(tmp_path)
    env = {"CLONEBOT_PATHS__RUNS_DIR": str(tmp_path / "runs"),
           "CLONEBOT_PATHS__DATA_DIR": str(tmp_path / "data")}
    res = CliRunner().invoke(cli, ["run", "--adapter", "v007"], env=env)
    assert res.exit_code == 1 and "Traceback" not in res.output
    line = [x for x in res.output.splitlines() if x.startswith("error: ")][0]
    assert "v007" in line and "does not exist" not in line, line
