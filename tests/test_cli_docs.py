"""Every CLI command and option is documented in docs/cli.md (docs tested against code)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from metacrm.cli import main

DOC = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()


def _commands(group: click.Group, prefix: str = "metacrm"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


COMMANDS = [("metacrm", main), *_commands(main)]


def test_there_are_commands():
    assert {"metacrm", "metacrm validate", "metacrm formula"} <= {path for path, _ in COMMANDS}


@pytest.mark.parametrize("path, command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_and_options_documented(path, command):
    assert f"`{path}" in DOC, f"{path} is not documented in docs/cli.md"
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(f"`{opt}" in DOC for opt in param.opts), \
                f"{path} {param.opts[0]} is not documented in docs/cli.md"
