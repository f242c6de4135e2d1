"""The one family of errors Sanad shows to users: each message is written for the person who must act on it."""


class SanadError(Exception):
    """A mistake or condition the user can fix; shown as one line, never as a stack trace."""


class InputError(SanadError):
    """A text that cannot be read: names the file and, where there is one, the line."""

    def __init__(self, source: str, problem: str, line: int | None = None):
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class StoreError(SanadError):
    """The store cannot be opened or does not fit this configuration."""


class ModelError(SanadError):
    """The embedding model cannot be loaded."""


class ConfigError(SanadError):
    """A setting has a value Sanad cannot use."""
