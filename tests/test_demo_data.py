"""Tests of the synthetic demo dataset (mmpoolformer.datasets.demo_shapes,
which tools/demo_shapes.py writes)."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from tool_runs import assert_clean_error, file_hashes, run

from mmpoolformer.datasets import demo_shapes

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NUM_TRAIN, NUM_VAL, IMG_SIZE = 12, 6, 96


def generate(out_dir, seed=0, num_train=NUM_TRAIN):
    return demo_shapes.generate(
        str(out_dir),
        num_train=num_train,
        num_val=NUM_VAL,
        img_size=IMG_SIZE,
        seed=seed)


@pytest.fixture(scope='module')
def dataset(module_tmp_path):
    out_dir = module_tmp_path
    summary = generate(out_dir)
    return out_dir, summary


def test_same_seed_gives_identical_files(dataset, tmp_path):
    out_dir, _ = dataset
    generate(tmp_path)
    first, second = file_hashes(out_dir), file_hashes(tmp_path)
    assert len(first) > NUM_TRAIN + NUM_VAL
    assert first == second


def test_other_seed_gives_other_images(dataset, tmp_path):
    out_dir, _ = dataset
    generate(tmp_path, seed=1)
    name = osp.join('images', 'train', '000000.png')
    assert file_hashes(out_dir)[name] != file_hashes(tmp_path)[name]


def test_layout_and_summary(dataset):
    out_dir, summary = dataset
    for split, num in (('train', NUM_TRAIN), ('val', NUM_VAL)):
        images = sorted(os.listdir(out_dir / 'images' / split))
        assert len(images) == num == summary[split]['images']
        assert images == sorted(os.listdir(out_dir / 'ann_dir' / split))
        cls_counts = [
            len(os.listdir(out_dir / 'cls' / split / name))
            for name in demo_shapes.CLASSES
        ]
        assert sum(cls_counts) == demo_shapes.CLS_IMAGES_PER_IMAGE * num
        assert max(cls_counts) - min(cls_counts) <= 1


def test_classification_shapes_are_centred_and_large():
    """The one shape of a classification image covers the image's centre
    pixel and is large; the squares (whose diagonals cross at the centre
    of the circumscribed circle and measure its diameter) are centred, with
    diagonals 0.6 to 0.9 of the side."""
    size, centres, diameters = 64, [], []
    for index in range(30):
        rng = np.random.default_rng([0, 2, index])
        label = index % len(demo_shapes.CLASSES)
        img, shapes = demo_shapes.draw_scene(
            rng, size, [label], place=demo_shapes.centre_shape)
        assert len(shapes) == 1 and shapes[0]['label'] == label
        vertices = np.reshape(shapes[0]['polygon'], (-1, 2))
        if len(vertices) == 4:  # a square: the diagonals cross at the centre
            centres.append((vertices[0] + vertices[2]) / 2)
            diameters.append(np.linalg.norm(vertices[0] - vertices[2]))
        assert shapes[0]['mask'][size // 2, size // 2]
        assert shapes[0]['mask'].sum() > (0.3 * 0.6 * size)**2
    assert len(centres) == 10
    np.testing.assert_allclose(centres, size / 2, atol=0.01)
    assert 0.6 * size - 0.1 <= min(diameters) <= max(diameters) <= 0.9 * size


@pytest.mark.parametrize('split', ['train', 'val'])
def test_coco_annotations_are_consistent(dataset, split):
    out_dir, summary = dataset
    coco = COCO(str(out_dir / 'annotations' / f'instances_{split}.json'))
    names = [cat['name'] for cat in coco.loadCats(coco.getCatIds())]
    assert names == list(demo_shapes.CLASSES)
    assert len(coco.getAnnIds()) == summary[split]['instances']
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        img = cv2.imread(str(out_dir / 'images' / split / info['file_name']))
        assert img.shape == (info['height'], info['width'], 3)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert 1 <= len(anns) <= 3
        for ann in anns:
            mask = coco.annToMask(ann).astype(bool)
            ys, xs = np.nonzero(mask)
            box = [
                xs.min(),
                ys.min(),
                xs.max() - xs.min() + 1,
                ys.max() - ys.min() + 1
            ]
            assert ann['bbox'] == box
            assert ann['area'] == mask.sum()
            assert ann['iscrowd'] == 0
            assert ann['category_id'] in coco.getCatIds()


@pytest.mark.parametrize('split', ['train', 'val'])
def test_label_maps_are_the_union_of_instance_masks(dataset, split):
    out_dir, _ = dataset
    coco = COCO(str(out_dir / 'annotations' / f'instances_{split}.json'))
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        label_map = cv2.imread(
            str(out_dir / 'ann_dir' / split / info['file_name']),
            cv2.IMREAD_UNCHANGED)
        expected = np.zeros((info['height'], info['width']), np.uint8)
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=img_id)):
            mask = coco.annToMask(ann).astype(bool)
            # Shapes never overlap, so no pixel is claimed twice.
            assert not expected[mask].any()
            expected[mask] = ann['category_id']
        assert label_map.dtype == np.uint8
        assert set(np.unique(label_map)) <= set(
            range(len(demo_shapes.CLASSES) + 1))
        np.testing.assert_array_equal(label_map, expected)


def test_regeneration_leaves_no_stale_files(tmp_path):
    generate(tmp_path, num_train=NUM_TRAIN)
    generate(tmp_path, num_train=NUM_TRAIN // 2)
    assert len(os.listdir(tmp_path / 'images' / 'train')) == NUM_TRAIN // 2
    assert len(os.listdir(tmp_path / 'ann_dir' / 'train')) == NUM_TRAIN // 2
    with open(tmp_path / 'annotations' / 'instances_train.json') as f:
        assert len(json.load(f)['images']) == NUM_TRAIN // 2


def test_refuses_to_overwrite_a_foreign_directory(tmp_path):
    (tmp_path / 'notes.txt').write_text('not demo data')
    with pytest.raises(FileExistsError):
        generate(tmp_path)
    assert os.listdir(tmp_path) == ['notes.txt']
    # The tool says so in one line.
    assert_clean_error(
        run('make_demo_data.py', '--out', tmp_path), 'holds no demo_data.json')
    assert os.listdir(tmp_path) == ['notes.txt']
