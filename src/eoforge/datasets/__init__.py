"""Datasets: benchmark datasets of the field, user datasets and synthetic scenes.

Each dataset lives in its own sub-package and is imported explicitly, so that importing
``eoforge.datasets`` stays cheap:

- :mod:`eoforge.datasets.synthetic` — deterministic, procedurally generated Sentinel-2-like scenes
  with land-cover labels, for the demo, tests and benchmarks.

Example:
    >>> from eoforge.datasets.synthetic import generate_scene
    >>> generate_scene(64, seed=1).labels.shape
    (64, 64)
"""
