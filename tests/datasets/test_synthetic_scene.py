"""generate_scene: determinism, shapes, classes, spectra and spatial structure."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from eoforge.datasets.synthetic import (
    ALL_BANDS,
    CLASSES,
    DEFAULT_BANDS,
    SyntheticScene,
    generate_scene,
    plot_scene,
)
from eoforge.datasets.synthetic.classes import (
    BARE,
    BUILT_UP,
    CROPLAND,
    GRASSLAND,
    NODATA_LABEL,
    TREE,
    WATER,
    class_colormap,
)
from eoforge.errors import BandNotFoundError, EoforgeError, InvalidGridError


@pytest.fixture(scope="module")
def scene() -> SyntheticScene:
    return generate_scene(512, seed=0)


def _digest(s: SyntheticScene) -> str:
    return hashlib.sha256(s.image.tobytes() + s.labels.tobytes()).hexdigest()


def test_shapes_dtypes_and_metadata(scene: SyntheticScene) -> None:
    assert scene.image.shape == (10, 512, 512)
    assert scene.image.dtype == np.uint16
    assert scene.labels.shape == (512, 512)
    assert scene.labels.dtype == np.uint8
    assert scene.bands == DEFAULT_BANDS
    assert scene.classes == CLASSES
    assert scene.shape == (512, 512)
    assert scene.seed == 0


def test_arrays_are_read_only(scene: SyntheticScene) -> None:
    with pytest.raises(ValueError, match="read-only"):
        scene.image[0, 0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        scene.labels[0, 0] = 1


def test_image_is_never_nodata_and_labels_are_classes(scene: SyntheticScene) -> None:
    assert scene.image.min() >= 1  # 0 is the image nodata value
    assert scene.labels.max() <= BARE
    assert not (scene.labels == NODATA_LABEL).any()


def test_same_seed_gives_identical_arrays(scene: SyntheticScene) -> None:
    again = generate_scene(512, seed=0)
    np.testing.assert_array_equal(again.image, scene.image)
    np.testing.assert_array_equal(again.labels, scene.labels)


def test_different_seed_differs(scene: SyntheticScene) -> None:
    other = generate_scene(512, seed=1)
    assert (other.labels != scene.labels).mean() > 0.2
    assert (other.image != scene.image).mean() > 0.5


def test_identical_in_another_process() -> None:
    code = (
        "import hashlib; from eoforge.datasets.synthetic import generate_scene; "
        "s = generate_scene((200, 136), seed=42, bands=['B04', 'B08', 'B12']); "
        "print(hashlib.sha256(s.image.tobytes() + s.labels.tobytes()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "OMP_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    here = generate_scene((200, 136), seed=42, bands=["B04", "B08", "B12"])
    assert out.stdout.strip() == _digest(here)


def test_a_band_does_not_depend_on_the_other_bands(scene: SyntheticScene) -> None:
    alone = generate_scene(512, seed=0, bands=["B11", "B03"])
    np.testing.assert_array_equal(alone.band("B11"), scene.band("B11"))
    np.testing.assert_array_equal(alone.band("B03"), scene.band("B03"))
    np.testing.assert_array_equal(alone.labels, scene.labels)


def test_all_twelve_bands() -> None:
    s = generate_scene(96, seed=3, bands=ALL_BANDS)
    assert s.image.shape == (12, 96, 96)
    assert s.bands == ALL_BANDS


@pytest.mark.parametrize("size", [(100, 70), (33, 257), 64])
def test_odd_and_rectangular_sizes(size: int | tuple[int, int]) -> None:
    s = generate_scene(size, seed=5)
    expected = (size, size) if isinstance(size, int) else size
    assert s.labels.shape == expected
    assert s.image.shape == (10, *expected)


def test_20m_and_60m_bands_carry_only_their_native_detail() -> None:
    s = generate_scene(120, seed=2, bands=["B04", "B05", "B09"])
    noise_free_blocks = []
    for name, k in (("B05", 2), ("B09", 6)):
        band = s.band(name).astype(np.float64)
        blocks = band.reshape(120 // k, k, 120 // k, k)
        within = blocks.std(axis=(1, 3)).mean()  # sensor noise only
        between = blocks.mean(axis=(1, 3)).std()
        noise_free_blocks.append(within < 0.2 * between)
    assert all(noise_free_blocks)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_class_is_present(seed: int) -> None:
    labels = generate_scene(512, seed=seed, bands=["B04"]).labels
    assert set(np.unique(labels).tolist()) == {c.id for c in CLASSES}


def test_class_shares_are_sane(scene: SyntheticScene) -> None:
    share = np.bincount(scene.labels.ravel(), minlength=6) / scene.labels.size
    assert 0.005 < share[WATER] < 0.15
    assert 0.10 < share[TREE] < 0.50
    assert 0.15 < share[GRASSLAND] < 0.60
    assert 0.15 < share[CROPLAND] < 0.60
    assert 0.001 < share[BUILT_UP] < 0.10
    assert 0.001 < share[BARE] < 0.10


def test_spectra_are_plausible(scene: SyntheticScene) -> None:
    lab = scene.labels

    def mean(band: str, cls: int) -> float:
        return float(scene.reflectance(band)[lab == cls].mean())

    red, nir = scene.reflectance("B04"), scene.reflectance("B08")
    ndvi = (nir - red) / (nir + red)
    assert ndvi[lab == TREE].mean() > 0.5
    assert ndvi[lab == WATER].mean() < 0.1
    assert mean("B08", WATER) < 0.1 < mean("B08", GRASSLAND)
    assert mean("B11", WATER) < 0.05
    # red edge: vegetation rises steeply from B05 to B07
    assert mean("B07", TREE) > 2 * mean("B05", TREE)
    # built-up is brighter in SWIR than in NIR, vegetation is not
    assert mean("B11", BUILT_UP) > mean("B08", BUILT_UP)
    assert mean("B11", TREE) < mean("B08", TREE)
    assert mean("B11", BUILT_UP) > mean("B11", TREE)
    # bare / sparse vegetation: high SWIR, less green than grassland
    assert mean("B11", BARE) > mean("B11", GRASSLAND) > mean("B11", TREE)
    assert ndvi[lab == BARE].mean() < ndvi[lab == GRASSLAND].mean() - 0.1
    assert mean("B04", BUILT_UP) > mean("B04", TREE)


def test_crop_fields_differ_from_one_another(scene: SyntheticScene) -> None:
    red, nir = scene.reflectance("B04"), scene.reflectance("B08")
    ndvi = ((nir - red) / (nir + red))[scene.labels == CROPLAND]
    assert np.percentile(ndvi, 5) < 0.45  # tilled or young fields
    assert np.percentile(ndvi, 90) > 0.8  # full canopy


def test_spectra_alone_do_not_separate_the_classes() -> None:
    """A per-pixel Gaussian classifier trained on one scene is far from perfect on another."""

    def pixels(s: SyntheticScene) -> tuple[np.ndarray, np.ndarray]:
        return s.image.reshape(len(s.bands), -1).T.astype(np.float64) / 1e4, s.labels.ravel()

    x_train, y_train = pixels(generate_scene(384, seed=10))
    x_test, y_test = pixels(generate_scene(384, seed=11))
    scores = []
    for k in range(6):
        xk = x_train[y_train == k]
        mu, cov = xk.mean(0), np.cov(xk.T) + 1e-6 * np.eye(xk.shape[1])
        d = x_test - mu
        maha = np.einsum("ij,jk,ik->i", d, np.linalg.inv(cov), d)
        prior = np.log(len(xk) / len(x_train))
        scores.append(-0.5 * maha - 0.5 * np.linalg.slogdet(cov)[1] + prior)
    predicted = np.argmax(np.stack(scores, 1), 1)
    accuracy = (predicted == y_test).mean()
    recalls = [(predicted[y_test == k] == k).mean() for k in range(6)]
    assert 0.5 < accuracy < 0.95
    assert min(recalls) < 0.9  # some class is mostly confused with others


def test_label_map_is_spatially_coherent(scene: SyntheticScene) -> None:
    lab = scene.labels
    same = np.ones(lab.shape, dtype=bool)
    same[1:] &= lab[1:] == lab[:-1]
    same[:-1] &= lab[:-1] == lab[1:]
    same[:, 1:] &= lab[:, 1:] == lab[:, :-1]
    same[:, :-1] &= lab[:, :-1] == lab[:, 1:]
    assert same.mean() > 0.9
    # independent noise with the same class shares would be far less coherent
    shuffled = np.random.default_rng(0).permutation(lab.ravel()).reshape(lab.shape)
    assert (shuffled[:, 1:] == shuffled[:, :-1]).mean() < 0.5


def test_rgb_and_label_colours(scene: SyntheticScene) -> None:
    rgb = scene.rgb()
    assert rgb.shape == (512, 512, 3)
    assert rgb.dtype == np.uint8
    colours = scene.label_rgb()
    water = scene.labels == WATER
    assert (colours[water] == (0x00, 0x64, 0xC8)).all()
    # vegetation is greener than red in the true-colour composite
    tree = scene.labels == TREE
    assert rgb[tree][:, 1].mean() > rgb[tree][:, 0].mean()


def test_worldcover_legend_colours() -> None:
    hex_colors = {c.name: c.hex_color for c in CLASSES}
    assert hex_colors == {
        "water": "#0064c8",
        "tree cover": "#006400",
        "grassland": "#ffff4c",
        "cropland": "#f096ff",
        "built-up": "#fa0000",
        "bare / sparse vegetation": "#b4b4b4",
    }
    assert [c.worldcover_code for c in CLASSES] == [80, 10, 30, 40, 50, 60]
    assert [c.id for c in CLASSES] == list(range(6))
    assert class_colormap()[NODATA_LABEL][3] == 0


def test_band_lookup_errors(scene: SyntheticScene) -> None:
    with pytest.raises(BandNotFoundError, match="B01"):
        scene.band("B01")


@pytest.mark.parametrize("size", [16, (64, 8), "64", (64,), 64.0])
def test_invalid_size(size: object) -> None:
    with pytest.raises(InvalidGridError):
        generate_scene(size, seed=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("bands", [["B10"], ["B04", "B4"], []])
def test_invalid_band_names(bands: list[str]) -> None:
    with pytest.raises(EoforgeError):
        generate_scene(64, bands=bands)


def test_unknown_band_names_the_choices() -> None:
    with pytest.raises(BandNotFoundError, match="B8A"):
        generate_scene(64, bands=["B10"])


def test_duplicate_band() -> None:
    with pytest.raises(EoforgeError, match="more than once"):
        generate_scene(64, bands=["B04", "B04"])


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_invalid_seed(seed: object) -> None:
    with pytest.raises(EoforgeError, match="seed"):
        generate_scene(64, seed=seed)  # type: ignore[arg-type]


def test_plot_needs_matplotlib(scene: SyntheticScene) -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(EoforgeError, match="pip install matplotlib"):
            plot_scene(scene)
        with pytest.raises(EoforgeError, match="pip install matplotlib"):
            scene.plot()
    else:
        import matplotlib.pyplot as plt

        fig = scene.plot()
        assert len(fig.axes) == 2
        plt.close(fig)


@pytest.mark.slow
def test_full_size_scene_is_fast() -> None:
    generate_scene(64, seed=0)  # imports and caches warm
    start = time.process_time()
    s = generate_scene(2048, seed=0)
    seconds = time.process_time() - start
    print(f"2048x2048 scene, 10 bands: {seconds:.2f} s CPU")
    assert s.image.shape == (10, 2048, 2048)
    assert seconds < 15
