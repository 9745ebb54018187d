"""``generate_scene``: one synthetic Sentinel-2-like scene with its land-cover labels, in memory.

Example:
    >>> scene = generate_scene(128, seed=7)
    >>> scene.image.shape, scene.image.dtype, scene.labels.dtype
    ((10, 128, 128), dtype('uint16'), dtype('uint8'))
    >>> scene.bands[:3]
    ('B02', 'B03', 'B04')
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from eoforge.datasets.synthetic.classes import CLASSES, LandCoverClass
from eoforge.datasets.synthetic.landscape import generate_landscape
from eoforge.datasets.synthetic.signatures import DEFAULT_BANDS, check_bands
from eoforge.datasets.synthetic.spectra import REFLECTANCE_SCALE, render
from eoforge.errors import BandNotFoundError, EoforgeError, InvalidGridError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MIN_SIZE", "SyntheticScene", "check_seed", "check_size", "generate_scene"]

MIN_SIZE = 32
"""Smallest scene side in pixels."""


@dataclass(frozen=True, slots=True, eq=False)
class SyntheticScene:
    """A synthetic scene: a reflectance image, its label map and what their values mean.

    The arrays are read-only (copy them to modify).

    Attributes:
        image: uint16 ``(C, H, W)`` surface reflectance x 10 000 (Sentinel-2 L2A scaling), ≥ 1.
        labels: uint8 ``(H, W)`` class ids (see ``classes``).
        bands: the band name of each image channel.
        classes: the land-cover classes, indexed by id.
        seed: the seed the scene was generated from.

    Example:
        >>> s = generate_scene(64, seed=1, bands=["B04", "B08"])
        >>> s.band("B08").shape
        (64, 64)
    """

    image: np.ndarray
    labels: np.ndarray
    bands: tuple[str, ...]
    classes: tuple[LandCoverClass, ...]
    seed: int

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` in pixels."""
        return (int(self.labels.shape[0]), int(self.labels.shape[1]))

    def band(self, name: str) -> np.ndarray:
        """The uint16 ``(H, W)`` channel of band ``name``.

        Raises:
            BandNotFoundError: the scene has no such band.

        Example:
            >>> generate_scene(32, seed=0, bands=["B08"]).band("B08").dtype
            dtype('uint16')
        """
        if name not in self.bands:
            raise BandNotFoundError(
                f"band {name!r} is not in this scene (it has {', '.join(self.bands)}); "
                f"generate it with bands=[..., {name!r}]"
            )
        return self.image[self.bands.index(name)]  # type: ignore[no-any-return]

    def reflectance(self, name: str) -> np.ndarray:
        """Band ``name`` as float32 surface reflectance (0…1).

        Example:
            >>> float(generate_scene(32, seed=0).reflectance("B08").max()) < 1.0
            True
        """
        return self.band(name).astype(np.float32) / np.float32(REFLECTANCE_SCALE)

    def rgb(self, bands: Sequence[str] = ("B04", "B03", "B02"), *, gain: float = 3.5) -> np.ndarray:
        """A uint8 ``(H, W, 3)`` colour composite: reflectance x ``gain``, gamma 1/1.4, clipped.

        Example:
            >>> generate_scene(32, seed=0).rgb().shape
            (32, 32, 3)
        """
        if len(bands) != 3:
            raise EoforgeError(f"an RGB composite needs 3 bands, got {list(bands)}")
        stack = np.stack([self.reflectance(b) for b in bands], axis=-1) * np.float32(gain)
        stack = np.clip(stack, 0, 1) ** np.float32(1 / 1.4)
        return (stack * 255 + 0.5).astype(np.uint8)

    def label_rgb(self) -> np.ndarray:
        """The label map in the classes' colours, uint8 ``(H, W, 3)`` (nodata black).

        Example:
            >>> generate_scene(32, seed=0).label_rgb().dtype
            dtype('uint8')
        """
        palette = np.zeros((256, 3), dtype=np.uint8)
        for c in self.classes:
            palette[c.id] = c.color
        colours: np.ndarray = palette[self.labels]
        return colours

    def plot(self, **kwargs: Any) -> Figure:
        """Figure with the colour composite beside the label map; see :func:`plot_scene`.

        Raises:
            EoforgeError: matplotlib is not installed.

        Example:
            >>> scene = generate_scene(32, seed=0)
            >>> try:
            ...     figure = scene.plot()
            ... except EoforgeError:
            ...     pass  # matplotlib is not installed
        """
        from eoforge.datasets.synthetic.plot import plot_scene

        return plot_scene(self, **kwargs)


def check_size(size: int | tuple[int, int]) -> tuple[int, int]:
    """Validate a scene size and return it as ``(height, width)``.

    Raises:
        InvalidGridError: not an int or a pair of ints, or smaller than :data:`MIN_SIZE`.

    Example:
        >>> check_size(64), check_size((64, 128))
        ((64, 64), (64, 128))
    """
    try:
        pair = (size, size) if isinstance(size, int | np.integer) else tuple(size)
        h, w = (operator.index(v) for v in pair)
    except (TypeError, ValueError):
        raise InvalidGridError(
            f"scene size {size!r} is not valid; give an int or (height, width) ints"
        ) from None
    if h < MIN_SIZE or w < MIN_SIZE:
        raise InvalidGridError(
            f"scene size {h}x{w} is too small; give at least {MIN_SIZE} pixels per side"
        )
    return (h, w)


def check_seed(seed: int) -> int:
    """Validate a seed (a non-negative integer) and return it as an ``int``.

    Raises:
        EoforgeError: ``seed`` is negative or not an integer.

    Example:
        >>> check_seed(np.int64(3))
        3
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise EoforgeError(f"seed {seed!r} is not valid; give a non-negative integer")
    return int(seed)


def generate_scene(
    size: int | tuple[int, int] = 2048,
    *,
    seed: int = 0,
    bands: Sequence[str] = DEFAULT_BANDS,
) -> SyntheticScene:
    """Generate a synthetic Sentinel-2-like scene (10 m pixels) with land-cover labels.

    Rivers and lakes, forests on the hills, field parcels in the lowlands (crop at different
    stages, and pastures), villages and a town with streets, quarries, and the grassland matrix;
    with terrain shading, texture and sensor noise. Deterministic: the same ``size``, ``seed`` and
    ``bands`` give identical arrays in every process. A 2048 x 2048 scene takes a few seconds on
    one core.

    Args:
        size: side in pixels, or ``(height, width)``; at least :data:`MIN_SIZE`.
        seed: a non-negative integer.
        bands: Sentinel-2 L2A band names (default :data:`DEFAULT_BANDS`; :data:`ALL_BANDS` adds
            B01 and B09). A band's values do not depend on which other bands are asked for.

    Returns:
        The scene (image uint16 ``(C, H, W)``, labels uint8 ``(H, W)``, bands, classes).

    Raises:
        InvalidGridError: ``size`` is not valid.
        BandNotFoundError: a band name is not a Sentinel-2 L2A band.
        EoforgeError: ``seed`` is negative or not an integer.

    Example:
        >>> a = generate_scene(64, seed=3)
        >>> b = generate_scene(64, seed=3)
        >>> bool((a.image == b.image).all() and (a.labels == b.labels).all())
        True
    """
    shape = check_size(size)
    names = check_bands(bands)
    seed = check_seed(seed)
    land_seed, sensor_seed = np.random.SeedSequence(seed).spawn(2)
    land = generate_landscape(shape, land_seed)
    image = render(land, names, sensor_seed)
    labels = land.labels
    image.setflags(write=False)
    labels.setflags(write=False)
    return SyntheticScene(image=image, labels=labels, bands=names, classes=CLASSES, seed=seed)
