"""Shared pieces of the management commands."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser, DjangoHelpFormatter


class _RawDescriptionFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class DocumentedCommand(BaseCommand):
    """A command whose `help` keeps its line breaks, so a file format can be shown as is."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", _RawDescriptionFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)
