"""``plot_scene``: a synthetic scene as a figure — colour composite beside the label map.

Needs matplotlib, which eoforge does not depend on: without it, :func:`plot_scene` raises an
:class:`~eoforge.errors.EoforgeError` saying how to install it.

Example:
    >>> from eoforge.datasets.synthetic import generate_scene
    >>> try:
    ...     fig = plot_scene(generate_scene(64, seed=0))
    ... except EoforgeError as err:  # matplotlib is not installed
    ...     fig = None
    ...     assert "pip install matplotlib" in str(err)
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eoforge.errors import EoforgeError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eoforge.datasets.synthetic.scene import SyntheticScene

__all__ = ["plot_scene"]


def _pyplot() -> Any:
    try:
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise EoforgeError(
            "plotting needs matplotlib, which is not installed; install it with "
            "`pip install matplotlib`"
        ) from None


def plot_scene(
    scene: SyntheticScene,
    *,
    rgb: Sequence[str] = ("B04", "B03", "B02"),
    gain: float = 3.5,
    figsize: tuple[float, float] = (12.0, 6.0),
) -> Figure:
    """A matplotlib figure: the ``rgb`` colour composite (left) and the label map with a legend.

    Args:
        scene: the scene to show.
        rgb: the three bands shown as red, green and blue.
        gain: reflectance multiplier of the composite (see :meth:`SyntheticScene.rgb`).
        figsize: figure size in inches.

    Raises:
        EoforgeError: matplotlib is not installed.

    Example:
        >>> from eoforge.datasets.synthetic import generate_scene
        >>> try:
        ...     figure = plot_scene(generate_scene(48, seed=2), rgb=("B08", "B04", "B03"))
        ... except EoforgeError:
        ...     pass  # matplotlib is not installed
    """
    plt = _pyplot()
    patches = importlib.import_module("matplotlib.patches")
    fig, (left, right) = plt.subplots(
        1, 2, figsize=figsize, sharex=True, sharey=True, layout="constrained"
    )
    left.imshow(scene.rgb(rgb, gain=gain), interpolation="nearest")
    left.set_title(f"{'/'.join(rgb)} composite (seed {scene.seed})")
    right.imshow(scene.label_rgb(), interpolation="nearest")
    right.set_title("land cover")
    handles = [
        patches.Patch(facecolor=[v / 255 for v in c.color], edgecolor="black", label=c.name)
        for c in scene.classes
    ]
    right.legend(handles=handles, loc="lower left", fontsize="small", framealpha=0.9)
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig  # type: ignore[no-any-return]
