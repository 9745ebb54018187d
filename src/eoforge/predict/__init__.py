"""Whole-scene prediction: tiles with blended overlaps → a Cloud-Optimised GeoTIFF map.

- :func:`predict_scene` — checkpoint + scene (files in any CRS) → map, streaming, resumable,
  optionally on a Dask cluster;
- :class:`TileLayout` — the tiles and their blend weights; :class:`StripBlender` — bounded-memory
  blending; :class:`OutputSpec` — class maps, probabilities or values.

Example:
    >>> from eoforge.predict import TileLayout
    >>> TileLayout(height=100, width=100, tile=64, overlap=16).shape
    (2, 2)
"""

from eoforge.predict.output_spec import KINDS, OutputSpec, output_spec
from eoforge.predict.predict_scene import predict_scene
from eoforge.predict.strip_blender import StripBlender
from eoforge.predict.tile_layout import TileLayout

__all__ = ["KINDS", "OutputSpec", "StripBlender", "TileLayout", "output_spec", "predict_scene"]
