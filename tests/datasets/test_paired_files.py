"""``PairedFilesDataset`` on tests/data/paired_files: pairing, mask mapping, CSV tables, splits."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.errors import NotGeoreferencedWarning

from eoforge.data.datamodules import ChipDataModule
from eoforge.datasets import PairedFilesDataset
from eoforge.errors import EoforgeError, NoFilesError
from eoforge.geo import GridSpec

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "paired_files"
IMAGES = str(FIXTURES / "images" / "*.tif")
MASKS = str(FIXTURES / "masks" / "*.png")
CODES = str(FIXTURES / "codes" / "*.tif")
CLASSES = ["background", "building", "tree"]
COLORS = {(0, 0, 0): 0, (255, 0, 0): 1, (0, 160, 0): 2}
IDS = {10: 0, 20: 1, 30: 2}


def _read(path: str | Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as ds:
            return np.asarray(ds.read())


def _expected_from_colors(path: Path, table: dict[tuple[int, int, int], int]) -> np.ndarray:
    """The reference mapping, one pixel at a time."""
    rgb = _read(path)
    out = np.empty(rgb.shape[1:], dtype=np.int64)
    for r in range(rgb.shape[1]):
        for c in range(rgb.shape[2]):
            out[r, c] = table.get(tuple(int(v) for v in rgb[:3, r, c]), 255)
    return out


def test_colour_masks_map_to_class_ids_and_unknown_colours_are_ignored() -> None:
    ds = PairedFilesDataset(IMAGES, MASKS, colors=COLORS, classes=CLASSES)
    assert len(ds) == 6 and ds.classes == CLASSES and ds.ignore_index == 255
    unknown = 0
    for i, (image_path, mask_path) in enumerate(ds.pairs):
        sample = ds[i]
        assert Path(image_path).stem + "_mask" == Path(mask_path).stem
        assert sample["mask"].dtype == torch.int64 and sample["mask"].shape == (16, 16)
        expected = _expected_from_colors(mask_path, COLORS)
        np.testing.assert_array_equal(sample["mask"].numpy(), expected)
        unknown += int((expected == 255).sum())
        np.testing.assert_array_equal(sample["image"].numpy(), _read(image_path))
        assert sample["bands"] == ["R", "G", "B"] and sample["path"] == str(image_path)
    assert unknown > 0  # the fixture's yellow pixels
    assert ds.colors == [(0, 0, 0), (255, 0, 0), (0, 160, 0)]


def test_colour_lists_and_string_keys_mean_the_same() -> None:
    listed = PairedFilesDataset(IMAGES, MASKS, colors=[[0, 0, 0], [255, 0, 0], [0, 160, 0]])
    keyed = PairedFilesDataset(IMAGES, MASKS, colors={"0,0,0": 0, "#ff0000": 1, "0 160 0": 2})
    torch.testing.assert_close(listed[2]["mask"], keyed[2]["mask"])
    assert listed.classes == ["0", "1", "2"]


def test_raw_values_map_through_ids_and_unknown_values_are_ignored() -> None:
    by_ids = PairedFilesDataset(IMAGES, CODES, ids=IDS, classes=CLASSES, ignore_index=-1)
    by_colors = PairedFilesDataset(IMAGES, MASKS, colors=COLORS, ignore_index=-1)
    for i in range(len(by_ids)):
        codes = _read(by_ids.pairs[i][1])[0]
        expected = np.vectorize(lambda v: IDS.get(int(v), -1))(codes)
        np.testing.assert_array_equal(by_ids[i]["mask"].numpy(), expected)
        torch.testing.assert_close(by_ids[i]["mask"], by_colors[i]["mask"])
    assert by_ids.colors == []


def test_masks_without_a_table_are_class_ids_already() -> None:
    ds = PairedFilesDataset(IMAGES, CODES)
    np.testing.assert_array_equal(ds[0]["mask"].numpy(), _read(ds.pairs[0][1])[0])
    with pytest.raises(EoforgeError, match="colors="):
        PairedFilesDataset(IMAGES, MASKS)[0]  # RGB masks need a colour table


def test_georeferenced_images_carry_their_grid() -> None:
    sample = PairedFilesDataset(IMAGES, MASKS, colors=COLORS)[1]
    with rasterio.open(sample["path"]) as src:
        assert sample["grid"] == GridSpec(src.crs, src.transform, src.width, src.height)


def test_globs_folders_and_lists_give_the_same_pairs() -> None:
    by_glob = PairedFilesDataset(IMAGES, MASKS, colors=COLORS).pairs
    by_folder = PairedFilesDataset(FIXTURES / "images", FIXTURES / "masks", colors=COLORS).pairs
    images = sorted((FIXTURES / "images").glob("*.tif"), reverse=True)  # order does not matter
    masks = sorted((FIXTURES / "masks").glob("*.png"))
    by_list = PairedFilesDataset(images, masks, colors=COLORS).pairs
    assert by_glob == by_folder == by_list


def test_names_that_do_not_match_are_refused(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "masks", tmp_path / "masks")
    (tmp_path / "masks" / "tile_3_mask.png").rename(tmp_path / "masks" / "tile_9_mask.png")
    with pytest.raises(EoforgeError) as err:
        PairedFilesDataset(IMAGES, str(tmp_path / "masks" / "*.png"), colors=COLORS)
    message = str(err.value)
    assert "images/tile_3.tif' is paired with mask" in message and "tile_4_mask.png" in message
    assert "images without a mask: ['tile_3']" in message
    assert "masks without an image: ['tile_9']" in message
    (tmp_path / "masks" / "tile_9_mask.png").unlink()
    with pytest.raises(EoforgeError, match=r"6 images but 5 masks.*\['tile_3'\]"):
        PairedFilesDataset(IMAGES, str(tmp_path / "masks" / "*.png"), colors=COLORS)


def test_a_csv_table_pairs_rows_and_gives_the_splits() -> None:
    table = FIXTURES / "pairs.csv"
    every = PairedFilesDataset(table, colors=COLORS)
    assert every.pairs == PairedFilesDataset(IMAGES, MASKS, colors=COLORS).pairs
    sizes = {s: len(PairedFilesDataset(table, split=s, colors=COLORS)) for s in
             ("train", "val", "test")}  # fmt: skip
    assert sizes == {"train": 4, "val": 1, "test": 1}
    assert PairedFilesDataset(table, split="val", colors=COLORS).pairs[0][0].name == "tile_4.tif"
    with pytest.raises(EoforgeError, match="once"):
        PairedFilesDataset(table, MASKS, colors=COLORS)


def test_a_csv_of_images_only_pairs_with_masks_given_apart(tmp_path: Path) -> None:
    (tmp_path / "images.csv").write_text(
        "image\n" + "\n".join(str(p) for p in sorted((FIXTURES / "images").glob("*.tif")))
    )
    ds = PairedFilesDataset(tmp_path / "images.csv", MASKS, colors=COLORS)
    assert len(ds) == 6
    with pytest.raises(EoforgeError, match="'mask' column"):
        PairedFilesDataset(tmp_path / "images.csv")
    (tmp_path / "bad.csv").write_text("picture,mask\na.tif,b.png\n")
    with pytest.raises(EoforgeError, match="needs an 'image' column"):
        PairedFilesDataset(tmp_path / "bad.csv")


def test_the_random_split_is_seeded_and_disjoint() -> None:
    def pairs(split: str, seed: int = 0) -> list[tuple[Path, Path]]:
        return PairedFilesDataset(IMAGES, MASKS, split=split, split_fractions=(0.5, 0.25, 0.25),
                                  seed=seed, colors=COLORS).pairs  # fmt: skip

    parts = {s: pairs(s) for s in ("train", "val", "test")}
    assert {s: len(p) for s, p in parts.items()} == {"train": 3, "val": 2, "test": 1}
    together = sorted(p for part in parts.values() for p in part)
    assert together == PairedFilesDataset(IMAGES, MASKS, colors=COLORS).pairs
    assert pairs("val") == parts["val"]
    assert any(pairs("train", seed) != parts["train"] for seed in range(1, 5))


def test_bad_options_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EoforgeError, match="not both"):
        PairedFilesDataset(IMAGES, MASKS, colors=COLORS, ids=IDS)
    with pytest.raises(EoforgeError, match="names 2 classes"):
        PairedFilesDataset(IMAGES, MASKS, colors=COLORS, classes=["a", "b"])
    with pytest.raises(NoFilesError, match="nowhere"):
        PairedFilesDataset(str(tmp_path / "nowhere" / "*.tif"), MASKS)
    with pytest.raises(EoforgeError, match="masks= is missing"):
        PairedFilesDataset(IMAGES)
    with pytest.raises(EoforgeError, match="not valid"):
        PairedFilesDataset(IMAGES, MASKS, colors={(0, 0): 1})


def test_a_mask_of_another_size_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.tif").write_bytes((FIXTURES / "images" / "tile_0.tif").read_bytes())
    with rasterio.open(tmp_path / "a_mask.tif", "w", driver="GTiff", width=8, height=8, count=1,
                       dtype="uint8", crs="EPSG:32633",
                       transform=rasterio.Affine(10, 0, 0, 0, -10, 0)) as dst:  # fmt: skip
        dst.write(np.zeros((1, 8, 8), "uint8"))
    with pytest.raises(EoforgeError, match=r"a_mask\.tif' is 8x8 pixels but image .* is 16x16"):
        PairedFilesDataset([tmp_path / "a.tif"], [tmp_path / "a_mask.tif"])[0]


def test_one_batch_through_the_chip_data_module() -> None:
    options = {"colors": [[0, 0, 0], [255, 0, 0], [0, 160, 0]], "classes": CLASSES}
    dm = ChipDataModule(PairedFilesDataset, root=str(FIXTURES / "pairs.csv"), batch_size=2,
                        num_workers=0, dataset_options=options)  # fmt: skip
    dm.setup("fit")
    batch = next(iter(dm.val_dataloader()))
    assert batch["image"].shape == (1, 3, 16, 16) and batch["mask"].shape == (1, 16, 16)
    assert batch["mask"].dtype == torch.int64
    train = next(iter(dm.train_dataloader()))
    assert train["image"].shape == (2, 3, 16, 16) and len(train["grid"]) == 2
    info = dm.data_info()
    assert info["classes"] == CLASSES and info["ignore_index"] == 255
    assert info["colors"] == [[0, 0, 0], [255, 0, 0], [0, 160, 0]]


def test_plot_draws_the_mask_in_the_class_colours() -> None:
    ds = PairedFilesDataset(IMAGES, MASKS, colors=COLORS, classes=CLASSES)
    sample = ds[0]
    fig = ds.plot(sample, sample["mask"])
    assert [ax.get_title() for ax in fig.axes] == ["R, G, B", "mask", "prediction"]
    painted = np.asarray(fig.axes[1].get_images()[0].get_array())
    raw = _read(ds.pairs[0][1])
    known = sample["mask"].numpy() != 255
    np.testing.assert_array_equal(painted[known], np.moveaxis(raw, 0, -1)[known])
