"""The errors a command reports in one sentence, not a traceback: input it cannot use (an
image, a file its command line did not give it, a dataset or one of its files). Each module
raises its own kind; the command line catches them all by this one base, without importing
the modules that raise them."""

from __future__ import annotations


class InputError(Exception):
    """Input a command cannot use; the message says which and why."""
