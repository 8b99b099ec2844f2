"""mkdocs's hook for the API reference: the command line's page gets every command's `--help`,
printed by the parser the command line itself uses, so the page cannot drift from it."""

from __future__ import annotations

import argparse
import contextlib
import io

MARKER = "<!-- unetcheck --help -->"


def _help(parser: argparse.ArgumentParser) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        parser.print_help()
    return out.getvalue()


def command_help() -> str:
    """`unetcheck --help` and each command's, as markdown sections."""
    from unetcheck.job.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sections = [f"```text\n{_help(parser)}```"]
    sections += [f"## unetcheck {name}\n\n```text\n{_help(sub)}```" for name, sub in commands.choices.items()]
    return "\n\n".join(sections)


def on_page_markdown(markdown: str, **_: object) -> str:
    return markdown.replace(MARKER, command_help()) if MARKER in markdown else markdown
