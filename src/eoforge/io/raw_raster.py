"""``RawRaster``: a raster built window by window on disk, then published as a COG.

Large outputs (a predicted map of a whole scene) must not be held in memory. A ``RawRaster`` is a
plain band-sequential binary file (``bands × rows × cols`` of one dtype) written with
``os.pwrite``: every window written is in the file (the OS page cache) the moment the call
returns, so a process killed with ``kill -9`` loses nothing it wrote — the basis of resumable
jobs. A small GDAL VRT describes the file (CRS, transform, nodata, band names, class names and
colours), and :meth:`RawRaster.publish` has GDAL's COG driver stream it into a Cloud-Optimised
GeoTIFF with overviews, written to a temporary file and renamed when complete.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 640, 320, "EPSG:32633"), res=10)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> raw = RawRaster.create(folder / "map.raw", grid, 1, "uint8")
    >>> raw.write(np.full((1, 32, 64), 255, "uint8"), row=0, col=0)
    >>> raw.write(np.full((1, 8, 64), 3, "uint8"), row=0, col=0)
    >>> out = raw.publish(folder / "map.tif", nodata=255, class_names=["a", "b", "c", "d"])
    >>> with rasterio.open(out) as ds:
    ...     int(ds.read(1)[0, 0]), int(ds.read(1)[31, 63]), ds.nodata
    (3, 255, 255.0)
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError
from rasterio.errors import RasterioError
from rasterio.shutil import copy as gdal_copy

from eoforge.errors import EoforgeError, RasterReadError
from eoforge.geo import GridSpec, rio_crs
from eoforge.io.cog_file import cog_creation_options, publish_file
from eoforge.io.handles import forget_raster
from eoforge.io.write_raster import CLASS_NAMES_TAG

__all__ = ["RawRaster"]

Array = np.ndarray[Any, Any]
_GDAL_TYPES = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16", "uint32": "UInt32",
    "int32": "Int32", "float32": "Float32", "float64": "Float64",
}  # fmt: skip


@dataclass(frozen=True)
class RawRaster:
    """A band-sequential raw file on ``grid`` with ``bands`` bands of ``dtype``.

    Use :meth:`create` (a new file) or :meth:`open` (an existing one, to resume).
    """

    path: Path
    grid: GridSpec
    bands: int
    dtype: np.dtype[Any]

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], grid: GridSpec, bands: int, dtype: Any
    ) -> RawRaster:
        """A new raw file of the right size (a sparse file: pixels not yet written read as 0)."""
        raw = cls(Path(path), grid, int(bands), np.dtype(dtype))
        raw.path.parent.mkdir(parents=True, exist_ok=True)
        with raw.path.open("wb") as f:
            f.truncate(raw.bands * grid.height * grid.width * raw.dtype.itemsize)
        return raw

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], grid: GridSpec, bands: int, dtype: Any
    ) -> RawRaster:
        """An existing raw file (its size must fit the grid, bands and dtype)."""
        raw = cls(Path(path), grid, int(bands), np.dtype(dtype))
        expected = raw.bands * grid.height * grid.width * raw.dtype.itemsize
        if not raw.path.is_file() or raw.path.stat().st_size != expected:
            raise EoforgeError(
                f"'{raw.path}' is not the partial output of this job (expected {expected} "
                "bytes); start again without resume, or remove it"
            )
        return raw

    def write(self, values: Array, *, row: int, col: int) -> None:
        """Write ``values`` ``(bands, h, w)`` at ``(row, col)`` (the window must fit the grid)."""
        bands, h, w = values.shape
        if bands != self.bands or row < 0 or col < 0:
            raise EoforgeError(f"cannot write a {values.shape} window at ({row}, {col})")
        if row + h > self.grid.height or col + w > self.grid.width:
            raise EoforgeError(f"window {values.shape} at ({row}, {col}) leaves the grid")
        data = np.ascontiguousarray(values, dtype=self.dtype)
        item = self.dtype.itemsize
        line = self.grid.width * item
        plane = self.grid.height * line
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for b in range(bands):
                base = b * plane + col * item
                for r in range(h):
                    os.pwrite(fd, data[b, r].tobytes(), base + (row + r) * line)
        finally:
            os.close(fd)

    def read(self, *, row: int = 0, col: int = 0, height: int, width: int) -> Array:
        """Read a window back (for checks)."""
        mm = np.memmap(self.path, dtype=self.dtype, mode="r", shape=self._shape)
        return np.array(mm[:, row : row + height, col : col + width])

    @property
    def _shape(self) -> tuple[int, int, int]:
        return (self.bands, self.grid.height, self.grid.width)

    def vrt(
        self,
        *,
        nodata: float | None = None,
        band_names: Sequence[str] | None = None,
        class_names: Mapping[int, str] | Sequence[str] | None = None,
        colormap: Mapping[int, Sequence[int]] | None = None,
    ) -> str:
        """The GDAL VRT XML that presents the raw file as a georeferenced raster."""
        g = self.grid
        t = g.transform
        item = self.dtype.itemsize
        order = "LSB" if self.dtype.byteorder in "=<|" else "MSB"
        wkt = escape(rio_crs(g.crs).to_wkt())
        head = [f'<VRTDataset rasterXSize="{g.width}" rasterYSize="{g.height}">']
        head.append(f"<SRS>{wkt}</SRS>")
        head.append(
            f"<GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>"
        )
        if class_names is not None:
            items = (
                class_names.items() if isinstance(class_names, Mapping) else enumerate(class_names)
            )
            text = json.dumps({str(int(k)): str(v) for k, v in items})
            head.append(f'<Metadata><MDI key="{CLASS_NAMES_TAG}">{escape(text)}</MDI></Metadata>')
        for b in range(self.bands):
            band = [
                f'<VRTRasterBand dataType="{_GDAL_TYPES[self.dtype.name]}" band="{b + 1}" '
                'subClass="VRTRawRasterBand">'
            ]
            if band_names is not None:
                band.append(f"<Description>{escape(str(band_names[b]))}</Description>")
            if nodata is not None:
                value = "nan" if isinstance(nodata, float) and math.isnan(nodata) else repr(nodata)
                band.append(f"<NoDataValue>{value}</NoDataValue>")
            if colormap is not None and b == 0:
                band.append("<ColorInterp>Palette</ColorInterp><ColorTable>")
                for code in range(max(colormap) + 1):
                    c = [*(int(v) for v in colormap.get(code, (0, 0, 0))), 255]
                    band.append(f'<Entry c1="{c[0]}" c2="{c[1]}" c3="{c[2]}" c4="{c[3]}"/>')
                band.append("</ColorTable>")
            band.append(f'<SourceFilename relativetoVRT="0">{escape(str(self.path.resolve()))}')
            band.append("</SourceFilename>")
            band.append(f"<ImageOffset>{b * g.height * g.width * item}</ImageOffset>")
            band.append(f"<PixelOffset>{item}</PixelOffset>")
            band.append(f"<LineOffset>{g.width * item}</LineOffset>")
            band.append(f"<ByteOrder>{order}</ByteOrder></VRTRasterBand>")
            head.append("".join(band))
        head.append("</VRTDataset>")
        return "\n".join(head)

    def publish(
        self,
        path: str | os.PathLike[str],
        *,
        nodata: float | None = None,
        band_names: Sequence[str] | None = None,
        class_names: Mapping[int, str] | Sequence[str] | None = None,
        colormap: Mapping[int, Sequence[int]] | None = None,
        overwrite: bool = False,
        compress: str = "deflate",
        blocksize: int = 512,
        overview_resampling: str | None = None,
    ) -> Path:
        """Stream the raw file into a COG at ``path`` (atomically; overviews included).

        Overviews use ``mode`` for class maps (``class_names``/``colormap`` given) and
        ``average`` otherwise, unless ``overview_resampling`` says.
        """
        out = Path(path)
        is_class_map = class_names is not None or colormap is not None
        resampling = overview_resampling or ("mode" if is_class_map else "average")
        vrt_path = self.path.with_suffix(".vrt")
        vrt_path.write_text(
            self.vrt(
                nodata=nodata, band_names=band_names, class_names=class_names, colormap=colormap
            )
        )
        tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:12]}.tmp")
        options = cog_creation_options(compress, blocksize, True, resampling)
        try:
            with rasterio.Env(GDAL_PAM_ENABLED="NO", GDAL_VRT_ENABLE_RAWRASTERBAND="YES"):
                gdal_copy(str(vrt_path), str(tmp), driver="COG", **options)
            publish_file(tmp, out, overwrite)
            forget_raster(out)
        except (RasterioError, CPLE_BaseError) as err:
            raise RasterReadError(f"GDAL failed to write '{out}' ({err})") from err
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return out
