"""Read an OAM-TCD COCO file: its images, and each annotation's class *by category name*.

OAM-TCD's COCO files (``holdout/train.json``, ``holdout/test.json``, ``kfold_<k>/train.json`` …,
written by Restor's ``tools/generate_dataset.py``) declare the categories ``canopy`` (id 1) and
``tree`` (id 2), but other files of the project use other ids for the same names (annotation-tool
exports: tree = 0, canopy = 1; model outputs: canopy = 0, tree = 1). So the ids are never trusted:
each category is mapped to eoforge's class by its name — ``tree`` → 1, ``canopy`` → 2
(0 is background) — and a file with a name eoforge does not know is refused.

Example:
    >>> category_classes([{"id": 1, "name": "canopy"}, {"id": 2, "name": "Tree"}], "x.json")
    {1: 2, 2: 1}
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError

__all__ = ["CLASS_OF_NAME", "CocoImage", "category_classes", "load_coco_images"]

logger = logging.getLogger(__name__)

CLASS_OF_NAME = {"tree": 1, "canopy": 2}
"""eoforge's class id of each OAM-TCD category name (0 is background)."""


@dataclass(frozen=True)
class CocoImage:
    """One image of a COCO file with its annotations.

    Attributes:
        id: the image's COCO id (OAM-TCD: its ``image_id``).
        file_name: its file name (``<oam_id>_<image_id>.tif`` or ``.jpg``).
        height: its height in pixels, as the COCO file says.
        width: its width in pixels.
        annotations: ``(eoforge class id, annotation)`` pairs, in the file's order; each
            annotation keeps ``id``, ``bbox``, ``global`` and ``segmentation`` (polygons as
            numpy arrays).
    """

    id: Any
    file_name: str
    height: int
    width: int
    annotations: tuple[tuple[int, Mapping[str, Any]], ...]


def category_classes(categories: Sequence[Mapping[str, Any]], source: str) -> dict[int, int]:
    """``{COCO category id: eoforge class id}``, matching the categories' names.

    Raises:
        EoforgeError: a category has a name other than ``tree`` or ``canopy`` (any case), or
            the file has no categories.

    Example:
        >>> category_classes([{"id": 0, "name": "shrub"}], "x.json")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.EoforgeError: x.json has categories eoforge does not know: 0: 'shrub'...
    """
    if not categories:
        raise EoforgeError(
            f"{source} declares no categories; OAM-TCD COCO files name theirs 'tree' and "
            "'canopy' (export it with Restor's tools/generate_dataset.py)"
        )
    mapping: dict[int, int] = {}
    unknown = []
    for category in categories:
        name = str(category.get("name", "")).strip().lower()
        if name in CLASS_OF_NAME:
            mapping[int(category["id"])] = CLASS_OF_NAME[name]
        else:
            unknown.append(f"{category.get('id')}: {category.get('name')!r}")
    if unknown:
        raise EoforgeError(
            f"{source} has categories eoforge does not know: {', '.join(unknown)}; OAM-TCD's are "
            "'tree' and 'canopy' (matched by name, any id): rename them in the file, or remove "
            "their annotations"
        )
    shown = ", ".join(f"{k} ({n})" for n, k in _names(categories).items())
    logger.info("%s: categories %s -> eoforge classes tree = 1, canopy = 2", source, shown)
    return mapping


def _names(categories: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {str(c.get("name")): c.get("id") for c in categories}


def _compact(annotation: Mapping[str, Any]) -> dict[str, Any]:
    """What rasterizing needs, polygons as numpy arrays (a third of the memory of lists).

    A COCO file of OAM-TCD's size (about 340,000 instances) held as Python lists of floats
    would take gigabytes, once per DataLoader worker.
    """
    kept = {k: annotation[k] for k in ("id", "bbox", "global") if k in annotation}
    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, list):
        segmentation = [np.asarray(p, dtype=np.float64).ravel() for p in segmentation]
    kept["segmentation"] = segmentation
    return kept


def load_coco_images(path: Path | str) -> list[CocoImage]:
    """The images of a COCO file, in the file's order, with their annotations' classes.

    Raises:
        EoforgeError: the file is not COCO JSON, has unknown categories, or an annotation names
            an image or a category the file does not declare.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        images, annotations = data["images"], data.get("annotations", [])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise EoforgeError(
            f"{path} is not a COCO annotation file ({err}); export OAM-TCD again with Restor's "
            "tools/generate_dataset.py"
        ) from err
    classes = category_classes(data.get("categories", []), str(path))
    by_image: dict[Any, list[tuple[int, Mapping[str, Any]]]] = {im["id"]: [] for im in images}
    for annotation in annotations:
        category = annotation.get("category_id")
        if category not in classes:
            raise EoforgeError(
                f"annotation {annotation.get('id')} of {path} has category_id {category!r}, "
                f"which is not among its categories {sorted(classes)}; fix the file"
            )
        owner = by_image.get(annotation.get("image_id"))
        if owner is None:
            raise EoforgeError(
                f"annotation {annotation.get('id')} of {path} belongs to image "
                f"{annotation.get('image_id')!r}, which the file does not list; fix the file"
            )
        owner.append((classes[category], _compact(annotation)))
    found = []
    for im in images:
        size = (int(im["height"]), int(im["width"]))
        found.append(CocoImage(im["id"], str(im["file_name"]), *size, tuple(by_image[im["id"]])))
    return found
