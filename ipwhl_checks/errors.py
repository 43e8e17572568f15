"""The project's exceptions: one base, one subclass per concept.

Every message is meant for a person: it quotes the bad value and, where it helps, says
what was expected.  Command entry points catch :class:`IpwhlError` and print
``path: message`` (or the message alone) on one line, never a traceback.
"""

from __future__ import annotations

__all__ = [
    "CarError",
    "DeclarationError",
    "DownloadError",
    "GitError",
    "IpwhlError",
    "PublishError",
    "ReleaseError",
    "ResolutionError",
    "SettingsError",
    "UnixFSError",
    "UsageError",
    "VerifyError",
    "WheelError",
    "WriteError",
]


class IpwhlError(Exception):
    """Base class of every error IPWHL reports to its users."""


class UsageError(IpwhlError):
    """A command was called with arguments it cannot take (exit code 2)."""


class SettingsError(IpwhlError):
    """The repository settings file is missing or invalid."""


class DeclarationError(IpwhlError):
    """A declaration file cannot be read or does not follow the schema."""


class GitError(IpwhlError):
    """git cannot be run, or a git command the operation needs failed."""


class ResolutionError(IpwhlError):
    """Requirements cannot be satisfied from the repository."""


class UnixFSError(IpwhlError):
    """A path cannot be imported into UnixFS (missing, special or unreadable file)."""


class CarError(IpwhlError):
    """A CAR file is truncated, corrupt, or holds a block that does not match its CID."""


class DownloadError(IpwhlError):
    """A source could not be fetched (unreachable, refused, too large, or wrong bytes)."""


class WheelError(IpwhlError):
    """A file is not a valid wheel, or its metadata cannot be read safely."""


class PublishError(IpwhlError):
    """The repository cannot be published (a wheel does not match its declaration...)."""


class ReleaseError(IpwhlError):
    """A release tag cannot be created or read (dirty tree, git or signing failed...)."""


class VerifyError(IpwhlError):
    """A release tag's signature is not trusted, or its CID does not match its tree."""


class WriteError(IpwhlError):
    """An output file cannot be written (a full disk, a parent that is a file...)."""
