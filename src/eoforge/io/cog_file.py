"""What every Cloud-Optimised GeoTIFF eoforge writes shares: creation options, atomic publishing.

:func:`cog_creation_options` gives GDAL's COG driver options (tiled, compressed with a predictor,
internal overviews, BigTIFF when needed, all cores); :func:`publish_file` moves a finished
temporary file to its final name without ever replacing an existing file unless asked.

Example:
    >>> cog_creation_options("deflate", 512, True, "average")["PREDICTOR"]
    'YES'
"""

from __future__ import annotations

import os
from pathlib import Path

from eoforge.errors import OutputExistsError
from eoforge.io.gdal_env import gdal_threads

__all__ = ["cog_creation_options", "publish_file"]

_PREDICTED = {"deflate", "lzw", "zstd", "lzma"}


def cog_creation_options(
    compress: str, blocksize: int, overviews: bool, resampling: str
) -> dict[str, str]:
    """GDAL COG creation options for eoforge's outputs."""
    options = {
        "COMPRESS": compress.upper(),
        "BLOCKSIZE": str(int(blocksize)),
        "OVERVIEWS": "AUTO" if overviews else "NONE",
        "OVERVIEW_RESAMPLING": resampling.upper(),
        "NUM_THREADS": gdal_threads(),
        "BIGTIFF": "IF_SAFER",
    }
    if compress.lower() in _PREDICTED:
        options["PREDICTOR"] = "YES"
    return options


def publish_file(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished ``tmp`` to ``path`` (atomic; no-clobber unless ``overwrite``).

    Raises:
        OutputExistsError: ``path`` exists (or appeared meanwhile) and ``overwrite`` is False.
    """
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic and fails if path exists
    except FileExistsError as err:
        raise OutputExistsError(
            f"'{path}' appeared while it was being written; pass overwrite=True to replace it"
        ) from err
    except OSError:  # file system without hard links
        if path.exists():
            raise OutputExistsError(
                f"'{path}' already exists; pass overwrite=True to replace it"
            ) from None
        os.replace(tmp, path)
    else:
        tmp.unlink()
