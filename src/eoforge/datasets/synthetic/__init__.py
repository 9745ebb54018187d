"""Synthetic Sentinel-2-like scenes with land-cover labels, for the demo, tests and benchmarks.

Scenes are procedurally generated and deterministic (same seed ⇒ identical arrays): meandering
rivers and lakes, forest on the hills, field parcels with crops at different stages, villages and a
town, quarries, on a grassland matrix, with terrain shading, texture and sensor noise. Six classes
in ESA WorldCover colours: water, tree cover, grassland, cropland, built-up, bare / sparse
vegetation. Spectra overlap between some classes on purpose, so a model needs spatial context.

- :func:`generate_scene` → :class:`SyntheticScene` (arrays in memory);
- :func:`write_synthetic_scenes` → :class:`SyntheticCollection` (georeferenced COG tiles in UTM,
  optionally across two UTM zones, plus label polygons);
- :func:`plot_scene` / :meth:`SyntheticScene.plot` (needs matplotlib).

Example:
    >>> scene = generate_scene(256, seed=1)
    >>> scene.image.shape, sorted(set(scene.labels.ravel().tolist())) == [0, 1, 2, 3, 4, 5]
    ((10, 256, 256), True)
"""

from eoforge.datasets.synthetic.classes import CLASSES, NODATA_LABEL, LandCoverClass
from eoforge.datasets.synthetic.plot import plot_scene
from eoforge.datasets.synthetic.scene import SyntheticScene, generate_scene
from eoforge.datasets.synthetic.scene_writer import (
    IMAGE_NODATA,
    SyntheticCollection,
    SyntheticTile,
    tile_seed,
    write_synthetic_scenes,
)
from eoforge.datasets.synthetic.signatures import ALL_BANDS, DEFAULT_BANDS
from eoforge.datasets.synthetic.spectra import REFLECTANCE_SCALE

__all__ = [
    "ALL_BANDS",
    "CLASSES",
    "DEFAULT_BANDS",
    "IMAGE_NODATA",
    "NODATA_LABEL",
    "REFLECTANCE_SCALE",
    "LandCoverClass",
    "SyntheticCollection",
    "SyntheticScene",
    "SyntheticTile",
    "generate_scene",
    "plot_scene",
    "tile_seed",
    "write_synthetic_scenes",
]
