"""``AGBD`` on the fixture of tests/data/agbd (see its make_data.py for the content)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import h5py
import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from lightning.pytorch import Trainer
from torch.utils.data import DataLoader

from eoforge.data import collate
from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import AGBD, get_dataset
from eoforge.datasets import agbd_footprints as footprints_module
from eoforge.datasets.agbd_footprints import FootprintIndex
from eoforge.errors import DatasetNotFoundError, EoforgeError
from eoforge.tasks import RegressionTask

matplotlib.use("Agg")

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "agbd"
S2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]
HAND = "data_subset-2019-v4_0-20/32TNN/0"
OFFSET = "data_subset-2020-v4_0-20/32TNN/0"


def _copy(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for path in [*FIXTURE.glob("*.h5"), *FIXTURE.glob("*.pkl")]:
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture (the dataset writes its index beside the data)."""
    return _copy(tmp_path_factory.mktemp("agbd"))


def _sample(ds: AGBD, sample_id: str) -> dict:
    return ds[next(i for i in range(len(ds)) if ds.sample_id(i) == sample_id)]


def test_splits_are_the_tiles_of_the_split_file_without_bad_biomass(root: Path) -> None:
    train = AGBD(root, split="train", shards=[0])
    # 32TNN 2019 (4 rows, one NaN), 30NXM (3 rows, one -9999), 32TNN 2020 (2 rows)
    assert len(train) == 3 + 2 + 2 and train.dropped == 2
    assert {train.sample_id(i) for i in range(len(train))} >= {HAND, OFFSET}
    assert "data_subset-2019-v4_0-20/32TNN/2" not in {train.sample_id(i) for i in range(7)}
    assert [len(AGBD(root, split=s, shards=[0])) for s in ("val", "test")] == [2, 2]
    only_2019 = AGBD(root, split="test", years=[2019], shards=[0])
    assert len(only_2019) == 0  # 18NVL lies in the 2020 file; 10SEG is in no split


def test_hand_checked_footprint_decodes_every_layer(root: Path) -> None:
    bands = ["B04", "HH", "HV", "CH", "LC", "LC_prob", "DEM", "SCL"]
    sample = _sample(AGBD(root, shards=[0], bands=bands), HAND)
    image, valid = sample["image"].numpy(), sample["valid"].numpy()
    assert sample["image"].dtype == torch.float32 and image.shape == (8, 25, 25)
    assert sample["bands"] == bands
    # nodata: B04 DN 0 at (0, 0), HV DN 0 at (1, 1), CH 255 at (2, 2), DEM -9999 at (3, 3),
    # SCL 0 at (4, 4): 0 in the image, False in valid
    holes = {(0, 0): 0, (1, 1): 2, (2, 2): 3, (3, 3): 6, (4, 4): 7}
    assert set(zip(*np.nonzero(~valid), strict=True)) == set(holes)
    for (y, x), channel in holes.items():
        assert image[channel, y, x] == 0
    assert np.isfinite(image).all()
    ok = valid
    assert np.allclose(image[0][ok], 1500 / 10000)  # reflectance of DN 1500, no BOA offset
    assert np.allclose(image[1][ok], 10 * np.log10(10_000.0**2) - 83)  # -3 dB
    assert (image[3][ok] == 20).all() and (image[4][ok] == 10).all() and (image[5][ok] == 80).all()
    assert (image[6][ok] == 350).all() and (image[7][ok] == 4).all()


def test_target_is_the_biomass_at_the_centre_pixel_only(root: Path) -> None:
    sample = _sample(AGBD(root, shards=[0]), HAND)
    target = sample["target"]
    assert target.dtype == torch.float32 and target.shape == (25, 25)
    assert target[12, 12] == pytest.approx(123.5)
    finite = torch.isfinite(target)
    assert int(finite.sum()) == 1 and bool(finite[12, 12])


def test_footprint_coordinates_follow_the_sign_of_the_decimal_part(root: Path) -> None:
    sample = _sample(AGBD(root, shards=[0]), HAND)
    assert sample["lat"] == pytest.approx(-3.25) and sample["lon"] == pytest.approx(17.5)
    assert sample["tile"] == "32TNN" and sample["id"] == HAND
    assert "grid" not in sample


def test_reflectance_applies_the_boa_offset_and_clips_at_zero(root: Path) -> None:
    sample = _sample(AGBD(root, shards=[0], bands=["B04", "B02"]), OFFSET)
    assert np.allclose(sample["image"][0].numpy(), (2500 - 1000) / 10000)
    assert (sample["image"][1] == 0).all() and bool(sample["valid"].all())


def test_every_s2_band_matches_the_formula_on_the_raw_digital_numbers(root: Path) -> None:
    ds = AGBD(root, split="val", shards=[0], bands=["B12", "B8A", "B01"])
    file, tile, row = ds.index[1]
    with h5py.File(root / file, "r") as f:
        dn = f[tile]["S2_bands"][row].astype(np.float64)
        offset = int(f[tile]["Sentinel_metadata/S2_boa_offset"][row])
    expected = np.clip((dn - 1000 * offset) / 10_000, 0, None)[..., [11, 8, 0]]
    np.testing.assert_allclose(ds[1]["image"].numpy(), np.moveaxis(expected, -1, 0), rtol=1e-6)


def test_split_files_are_read_without_running_code(tmp_path: Path) -> None:
    root = _copy(tmp_path / "data")
    pkl = root / "biomes_splits_to_name.pkl"
    pkl.write_bytes(pickle.dumps({"train": np.array(["32TNN"]), "val": [], "test": []}))
    with pytest.raises(EoforgeError, match=r"numpy.*biomes_splits_to_name\.json"):
        AGBD(root, shards=[0])

    class Payload:
        def __reduce__(self) -> tuple:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    pkl.write_bytes(pickle.dumps({"train": Payload()}))
    with pytest.raises(EoforgeError, match="forbidden"):
        AGBD(root, shards=[0])
    assert not (tmp_path / "pwned").exists()
    # the JSON equivalent is read first
    pkl.unlink()
    (root / "biomes_splits_to_name.json").write_text(json.dumps({"train": ["30NXM"]}))
    assert len(AGBD(root, shards=[0])) == 2
    with pytest.raises(EoforgeError, match="no split 'val'"):
        AGBD(root, split="val", shards=[0])


def test_the_footprint_index_is_saved_and_a_changed_file_rescanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(tmp_path / "data")
    assert len(AGBD(root, shards=[0])) == 7
    assert (root / ".eoforge-agbd-index.json").is_file()
    scanned: list[str] = []
    original = footprints_module._scan_file
    monkeypatch.setattr(footprints_module, "_scan_file",
                        lambda path: scanned.append(path.name) or original(path))  # fmt: skip
    assert len(AGBD(root, shards=[0])) == 7 and scanned == []
    with h5py.File(root / "data_subset-2020-v4_0-20.h5", "a") as f:
        f["32TNN/GEDI/agbd"][1] = -1.0
    train = AGBD(root, shards=[0])
    assert scanned == ["data_subset-2020-v4_0-20.h5"] and len(train) == 6 and train.dropped == 3


@given(
    rows=st.integers(1, 40),
    dropped=st.lists(st.integers(0, 39), max_size=40),
    tail=st.integers(1, 5),
)
def test_footprint_index_lists_the_rows_left_in_order(rows: int, dropped: list, tail: int) -> None:
    index = FootprintIndex([("a.h5", "T1", rows, dropped), ("b.h5", "T2", tail, [])])
    kept = np.setdiff1d(np.arange(rows), dropped)
    expected = [("a.h5", "T1", int(r)) for r in kept] + [("b.h5", "T2", r) for r in range(tail)]
    assert len(index) == len(expected) and list(index) == expected
    assert index[-1] == expected[-1] and index[1:3] == expected[1:3]
    assert index.dropped == len(set(d for d in dropped if d < rows))
    with pytest.raises(IndexError):
        index[len(expected)]


def test_files_open_once_per_process_and_not_across_forks(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = AGBD(root, split="val", shards=[0])
    first = ds[0]["image"]
    handle = ds.h5.get(root / "data_subset-2019-v4_0-20.h5")
    assert ds.h5.get(root / "data_subset-2019-v4_0-20.h5") is handle
    copy = pickle.loads(pickle.dumps(ds))  # spawned workers get no open handle
    assert copy.h5._open == {} and torch.equal(copy[0]["image"], first)
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a forked child
    assert ds.h5.get(root / "data_subset-2019-v4_0-20.h5") is not handle
    monkeypatch.undo()
    loader = DataLoader(ds, batch_size=2, num_workers=1, collate_fn=collate)
    assert torch.equal(next(iter(loader))["image"][0], first)


def test_missing_files_are_named_with_their_urls(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as info:
        AGBD(tmp_path)
    message = str(info.value)
    assert "data_subset-2019-v4_0-20.h5" in message and "data_subset-2020-v4_19-20.h5" in message
    assert "biomes_splits_to_name.pkl" in message and "libdrive.ethz.ch" in message
    with pytest.raises(DatasetNotFoundError, match=r"data_subset-2019-v4_3-20\.h5") as only:
        AGBD(tmp_path, years=[2019], shards=[3])
    assert "2020" not in str(only.value)
    with pytest.raises(EoforgeError, match="shards 0-19"):
        AGBD(tmp_path, shards=[20])


def test_registry_info_and_plot(root: Path) -> None:
    assert get_dataset("agbd") is AGBD
    bands = {b["name"]: b for b in AGBD.info()["bands"]}
    assert "L-band" in bands["HH"]["description"] and bands["B04"]["description"] == "red"
    assert bands["B11"]["description"] == "SWIR 1" and bands["CH"]["resolution_m"] == 10
    ds = AGBD(root, shards=[0])
    figure = ds.plot(_sample(ds, HAND), prediction=torch.zeros(25, 25))
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) >= 3


def test_one_training_step_learns_from_the_centre_pixel_only(root: Path, tmp_path: Path) -> None:
    data = ChipDataModule(AGBD, root=str(root), dataset_options={"shards": [0]}, batch_size=4,
                          num_workers=0, stats=str(tmp_path / "stats.json"))  # fmt: skip
    task = RegressionTask(dense=True, model="unet_tiny", backbone="resnet18", loss="huber")
    trainer = Trainer(max_steps=1, limit_val_batches=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                      default_root_dir=str(tmp_path))  # fmt: skip
    trainer.fit(task, datamodule=data)
    assert trainer.global_step == 1 and np.isfinite(trainer.callback_metrics["train/loss"].item())
    # a per-pixel model: the loss gradient reaches the inputs at the centre pixel only
    pixel = RegressionTask(
        dense=True, backbone="pixel_mlp", loss="huber", data_info=data.data_info()
    )
    batch = next(iter(data.train_dataloader()))
    batch["image"].requires_grad_(True)
    loss = pixel.step(batch, "train")
    loss.backward()
    touched = batch["image"].grad.abs().sum(dim=(0, 1)) > 0
    assert touched[12, 12] and int(touched.sum()) == 1
    centre = pixel(batch["image"])[:, 0, 12, 12]
    reference = torch.nn.functional.huber_loss(centre, batch["target"][:, 12, 12], delta=1.0)
    assert float(loss.detach()) == pytest.approx(float(reference.detach()), rel=1e-5)
