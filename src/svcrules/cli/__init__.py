"""Command line: ``svcrules`` commands and their rendering; the only stage that prints or exits."""

from svcrules.cli.commands import main

__all__ = ["main"]
