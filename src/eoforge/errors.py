"""One exception family for every bad input eoforge can meet.

Every message names the offending file or value *and* the fix. The CLI prints the message on one
line and exits with status 1.

Example:
    >>> from eoforge.errors import EoforgeError, NoFilesError
    >>> try:
    ...     raise NoFilesError("no files match 'scenes/*.tif'; check the path or glob")
    ... except EoforgeError as err:
    ...     print(err)
    no files match 'scenes/*.tif'; check the path or glob
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "BandNotFoundError",
    "CRSMismatchError",
    "CheckpointError",
    "ChecksumError",
    "ConfigError",
    "DatasetNotFoundError",
    "DownloadError",
    "EoforgeError",
    "InvalidGridError",
    "MissingCRSError",
    "ModelConfigError",
    "NoFilesError",
    "NoOverlapError",
    "OutputExistsError",
    "QueryOutsideError",
    "RasterReadError",
    "UnknownNameError",
]


class EoforgeError(Exception):
    """Base class of every error eoforge raises for bad input."""


class NoFilesError(EoforgeError, FileNotFoundError):
    """No file matches a path, glob or list given to eoforge."""


class RasterReadError(EoforgeError, OSError):
    """A file exists but cannot be opened or decoded (unreadable, corrupt, not a raster)."""


class MissingCRSError(EoforgeError, ValueError):
    """A raster or vector file carries no coordinate reference system."""


class CRSMismatchError(EoforgeError, ValueError):
    """Inputs are in different CRSs and no target CRS was given to reconcile them."""


class BandNotFoundError(EoforgeError, KeyError):
    """A requested band is not in the file or collection."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class QueryOutsideError(EoforgeError, ValueError):
    """A query grid does not intersect the footprint of any file."""


class NoOverlapError(EoforgeError, ValueError):
    """Sources that must be stacked do not overlap anywhere."""


class InvalidGridError(EoforgeError, ValueError):
    """A resolution, size, stride or grid definition is not valid."""


class OutputExistsError(EoforgeError, FileExistsError):
    """An output exists and overwriting was not asked for."""


class UnknownNameError(EoforgeError, ValueError):
    """A name (model, backbone, task, option) is not one eoforge knows; the message lists them."""


class ModelConfigError(EoforgeError, ValueError):
    """A model cannot be built or run as configured (channel or class count, option, input)."""


class CheckpointError(EoforgeError, ValueError):
    """A weights file cannot be read as weights, or its tensors do not fit the model."""


class ConfigError(EoforgeError, ValueError):
    """A configuration file or command line is not valid (unknown key, wrong type, bad value)."""


class DatasetNotFoundError(EoforgeError, FileNotFoundError):
    """A dataset's files are not in its root folder; the message says what to download where."""


class DownloadError(EoforgeError, OSError):
    """A file cannot be downloaded (not found, refused, or the connection keeps failing)."""


class ChecksumError(EoforgeError, OSError):
    """A file's MD5 or SHA-256 digest is not the expected one (a corrupt or changed download)."""


class ArchiveError(EoforgeError, OSError):
    """An archive cannot be extracted: corrupt, truncated, of an unknown kind, or unsafe."""
