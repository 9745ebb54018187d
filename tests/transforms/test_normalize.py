from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from torch import nn

from eoforge.data import BandStats, StreamingBandStats
from eoforge.errors import BandNotFoundError, EoforgeError
from eoforge.transforms import Normalize, NormalizeSample


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    rng = np.random.default_rng(2)
    low = rng.integers(0, 3000, size=(4, 1, 16, 16))
    high = rng.integers(1000, 9000, size=(4, 1, 16, 16))
    flat = rng.integers(5, 6, size=(4, 1, 16, 16))  # a constant band
    return np.concatenate([low, high, flat], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def stats(pixels: np.ndarray) -> BandStats:
    acc = StreamingBandStats(["B02", "B08", "CONST"])
    acc.update(pixels)
    return acc.result()


def test_meanstd_equals_a_hand_computation(pixels: np.ndarray, stats: BandStats) -> None:
    norm = Normalize.from_stats(stats)
    x = torch.from_numpy(pixels)
    per_band = pixels.transpose(1, 0, 2, 3).reshape(3, -1).astype(np.float64)
    mean, std = per_band.mean(axis=1), per_band.std(axis=1)
    want = (pixels - mean[None, :, None, None]) / np.maximum(std, 1e-6)[None, :, None, None]
    np.testing.assert_allclose(norm(x).numpy(), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(norm(x[0]).numpy(), want[0], rtol=1e-5, atol=1e-5)
    out = norm(x).numpy()
    assert abs(out[:, 0].mean()) < 1e-4 and out[:, 0].std() == pytest.approx(1.0, rel=1e-4)
    assert np.all(out[:, 2] == 0.0)  # a constant band stays finite: std is clamped to eps


def test_bands_are_selected_and_reordered_by_name(pixels: np.ndarray, stats: BandStats) -> None:
    norm = Normalize.from_stats(stats, bands=["B08", "B02"])
    assert norm.bands == ["B08", "B02"]
    assert norm.mean.tolist() == pytest.approx([stats.mean[1], stats.mean[0]])
    x = torch.from_numpy(pixels[:, [1, 0]])
    full = Normalize.from_stats(stats)(torch.from_numpy(pixels))
    torch.testing.assert_close(norm(x), full[:, [1, 0]])
    with pytest.raises(BandNotFoundError, match=r"\['B11'\]"):
        Normalize.from_stats(stats, bands=["B02", "B11"])


def test_percentile_mode_maps_p2_p98_to_0_1(pixels: np.ndarray, stats: BandStats) -> None:
    picked = stats.select(["B02", "B08"])
    norm = Normalize.from_stats(picked, mode="percentile")
    x = torch.from_numpy(pixels[:, :2])
    per_band = pixels[:, :2].transpose(1, 0, 2, 3).reshape(2, -1).astype(np.float64)
    p2, p98 = np.percentile(per_band, 2, axis=1), np.percentile(per_band, 98, axis=1)
    want = (pixels[:, :2] - p2[None, :, None, None]) / (p98 - p2)[None, :, None, None]
    np.testing.assert_allclose(norm(x).numpy(), want, rtol=1e-5, atol=1e-6)
    clipped = Normalize.from_stats(picked, mode="percentile", clip=True)(x).numpy()
    np.testing.assert_allclose(clipped, np.clip(want, 0, 1), rtol=1e-5, atol=1e-6)
    assert clipped.min() == 0.0 and clipped.max() == 1.0
    wide = Normalize.from_stats(picked, mode="percentile", percentiles=(10, 90))
    p10 = np.percentile(per_band, 10, axis=1)
    assert wide.mean.tolist() == pytest.approx(p10.tolist())


def test_state_dict_round_trip_inside_a_model(stats: BandStats) -> None:
    model = nn.Sequential(
        Normalize.from_stats(stats, mode="percentile", clip=True, eps=1e-3), nn.Conv2d(3, 2, 1)
    )
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    fresh = nn.Sequential(Normalize([0.0] * 3, [1.0] * 3), nn.Conv2d(3, 2, 1))
    fresh.load_state_dict(state)
    restored = fresh[0]
    assert isinstance(restored, Normalize)
    assert restored.bands == ["B02", "B08", "CONST"]
    assert restored.clip == (0.0, 1.0) and restored.eps == 1e-3
    x = torch.rand(2, 3, 5, 5) * 9000
    torch.testing.assert_close(fresh(x), model(x))
    with pytest.raises(RuntimeError, match="size mismatch"):
        nn.Sequential(Normalize([0.0], [1.0]), nn.Conv2d(3, 2, 1)).load_state_dict(state)


def test_normalize_sample_changes_the_image_only(stats: BandStats) -> None:
    norm = Normalize.from_stats(stats)
    transform = NormalizeSample(norm)
    image = torch.rand(3, 4, 4) * 1000
    sample = {"image": image, "mask": torch.ones(4, 4), "bands": ["B02", "B08", "CONST"]}
    out = transform(sample)
    torch.testing.assert_close(out["image"], norm(image))
    assert out["mask"] is sample["mask"] and sample["image"] is image
    batch = {"image": image[None].repeat(2, 1, 1, 1), "bands": [sample["bands"]] * 2}
    torch.testing.assert_close(transform(batch)["image"][1], norm(image))
    with pytest.raises(BandNotFoundError, match="CONST"):
        transform({"image": image[:2], "bands": ["B02", "B08"]})
    with pytest.raises(EoforgeError, match="order"):
        transform({"image": image, "bands": ["B08", "B02", "CONST"]})


def test_input_checks_and_dtypes() -> None:
    norm = Normalize([1.0, 2.0], [2.0, 2.0], bands=["A", "B"])
    assert norm(torch.full((2, 1, 1), 5, dtype=torch.int64)).flatten().tolist() == [2.0, 1.5]
    assert norm(torch.ones(2, 1, 1, dtype=torch.float64)).dtype == torch.float64
    with pytest.raises(EoforgeError, match=r"2 bands \['A', 'B'\].*\(3, 4, 4\)"):
        norm(torch.ones(3, 4, 4))
    with pytest.raises(EoforgeError, match="one of each per band"):
        Normalize([1.0, 2.0], [1.0])
    with pytest.raises(EoforgeError, match="NaN or inf"):
        Normalize([float("nan")], [1.0])
    with pytest.raises(EoforgeError, match="one name per band"):
        Normalize([1.0], [1.0], bands=["A", "B"])
    with pytest.raises(EoforgeError, match="clip"):
        Normalize([1.0], [1.0], clip=(1.0, 0.0))


def test_from_stats_refuses_what_it_cannot_build(stats: BandStats) -> None:
    with pytest.raises(EoforgeError, match="mode='percentile'"):
        Normalize.from_stats(stats, clip=True)
    with pytest.raises(EoforgeError, match="not known"):
        Normalize.from_stats(stats, mode="minmax")  # type: ignore[arg-type]
    with pytest.raises(EoforgeError, match="low < high"):
        Normalize.from_stats(stats, mode="percentile", percentiles=(98, 2))
    acc = StreamingBandStats(["A", "B"])
    acc.update(np.stack([np.ones((2, 2)), np.full((2, 2), np.nan)]))
    with pytest.raises(EoforgeError, match=r"no valid pixel of band\(s\) \['B'\]"):
        Normalize.from_stats(acc.result())
