"""Errors that reach the user as one clear line (the CLI prints them without a traceback)."""


class ChisoError(Exception):
    """A problem with the user's input or settings, explained in the message."""


class InputError(ChisoError):
    """An input file cannot be used: the message names the file and what was expected."""


class MethodologyError(ChisoError):
    """A methodology file is inconsistent (points do not add up, duplicate codes, ...)."""
