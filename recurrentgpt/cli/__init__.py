"""The ``recurrentgpt`` command line."""

from recurrentgpt.cli.main import main

__all__ = ["main"]
