"""eoforge: deep learning on Earth-observation imagery.

Rasters in any CRS → training patches → models → metrics → georeferenced maps.

Example:
    >>> import eoforge
    >>> isinstance(eoforge.__version__, str)
    True
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eoforge")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
