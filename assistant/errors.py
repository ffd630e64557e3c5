"""The exception hierarchy: each error a user sees says what happened and what to do."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class for errors the assistant reports to its user as one clear line."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def one_line(self) -> str:
        """Return the message and, when there is one, the hint, as a single line."""
        text = str(self)
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(AssistantError):
    """A setting is missing, malformed or contradictory."""


class EndpointError(AssistantError):
    """The model endpoint failed in a way retries did not fix."""


class EndpointUnreachable(EndpointError):
    """Nothing answers at the configured base URL."""


class AuthenticationFailed(EndpointError):
    """The endpoint rejected the API key."""


class ModelNotFound(EndpointError):
    """The endpoint does not serve the configured model."""


class ContextTooLong(EndpointError):
    """The prompt exceeds the model's context window."""


class RateLimited(EndpointError):
    """The endpoint kept answering 429 after every retry."""


class ServerFailed(EndpointError):
    """The endpoint kept answering 5xx, or dropped the connection, after every retry."""


class WorkspaceError(AssistantError):
    """The repository or a path in it cannot be used."""


class PathOutsideRepository(WorkspaceError):
    """A path resolves outside the repository root (through `..`, an absolute path or a link)."""


class IndexStoreError(AssistantError):
    """The code index cannot be opened, written or rebuilt."""


class EditError(AssistantError):
    """An edit could not be applied; the file is unchanged."""


class EditConflict(EditError):
    """The file changed on disk since the model last read it."""


class NoMatch(EditError):
    """A search block matched nothing in the file."""


class GitError(AssistantError):
    """A git operation (checkpoint, undo, commit, branch) failed."""
