"""The demo's map of the held-out scene: predicted whole with ``predict_scene``, and its preview.

:func:`predict_held_out` writes ``prediction.tif`` (a COG in the scene's own CRS, with the class
names and colours) and returns how often it agrees with the scene's labels;
:func:`map_figure` draws ``figures/map.png``: the scene in RGB, its labels, the predicted map.

Example:
    >>> callable(map_figure)
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from eoforge.cli.demo_report import RGB_BANDS, rgb_stretch

__all__ = ["map_figure", "predict_held_out"]


def predict_held_out(task: Any, image: str, labels: str, out: Path) -> dict[str, Any]:
    """Predict the whole held-out scene; return the map's path and its agreement with labels."""
    from eoforge.predict import predict_scene

    report: dict[str, Any] = {}
    path = predict_scene(
        task, image, out, tile_size=256, overlap=32, batch_size=4, overwrite=True,
        progress=False, report=report,
    )  # fmt: skip
    with rasterio.open(path) as ds, rasterio.open(labels) as truth:
        predicted, expected = ds.read(1), truth.read(1)
        labelled = expected != (truth.nodata if truth.nodata is not None else 255)
        agreement = float((predicted[labelled] == expected[labelled]).mean())
        crs = ds.crs.to_string()
    return {
        "path": str(path),
        "crs": crs,
        "tiles": report["tiles"],
        "agreement_with_labels": agreement,
        "seconds": round(report["seconds"], 1),
    }


def map_figure(image: str, labels: str, prediction: str, colors: list[Any], path: Path) -> None:
    """RGB | labels | predicted map of the scene, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with rasterio.open(image) as ds:
        names = list(ds.descriptions)
        rgb = rgb_stretch(ds.read([names.index(b) + 1 for b in RGB_BANDS]).astype(np.float32))
    table = np.array([*[tuple(c) for c in colors], (255, 255, 255)], dtype=np.float32) / 255
    panels = [("Sentinel-2 RGB", rgb)]
    for title, source in (("labels", labels), ("predicted map", prediction)):
        with rasterio.open(source) as ds:
            values = ds.read(1).astype(np.int64)
        panels.append((title, table[np.where(values < len(colors), values, len(colors))]))
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.3))
    for ax, (title, picture) in zip(axes, panels, strict=True):
        ax.imshow(picture, interpolation="nearest")
        ax.set_title(title)
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
