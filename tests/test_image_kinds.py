"""Images a user's data will contain, through the demo pipelines of all
three tasks: grayscale, RGBA and 16-bit PNGs, a 1x1 image, very elongated
images, an image without objects and an annotation with a zero-area box.

Each kind is added as one more image to a tiny demo dataset (training and
validation split). The training and test dataloaders of the demo configs
(RetinaNet, Semantic FPN, classifier) are built as the Runner builds them,
every batch goes through the model (a training step with a finite loss
and gradients, a test step with one prediction of the image's size per
image) and the test evaluator scores the predictions. A kind the libraries
cannot take must instead stop with a DataError that names the file.
"""
import copy
import json
import os.path as osp
import shutil
from contextlib import chdir

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import MODELS, DefaultScope

from mmpoolformer.datasets import DataError
from mmpoolformer.datasets.demo_shapes import CLS_IMAGES_PER_IMAGE
from mmpoolformer.engine import Runner
from tool_runs import ROOT, make_demo_data

DEMOS = {
    'detection': 'configs/demo/retinanet_poolformer_s12_demo.py',
    'segmentation': 'configs/demo/fpn_poolformer_s12_demo.py',
    'classification': 'configs/demo/poolformer_s12_demo_cls.py',
}
FILE_NAME = 'added.png'


def shapes_image(height, width, channels=3, dtype=np.uint8):
    """A bright square on a dark background, ``channels`` (0: none) of
    ``dtype`` at full range."""
    top = np.iinfo(dtype).max
    image = np.full((height, width, max(channels, 1)), top // 8, dtype)
    image[height // 4:max(3 * height // 4, height // 4 + 1),
          width // 4:max(3 * width // 4, width // 4 + 1)] = top
    return image[..., 0] if channels == 0 else image


def square_box(height, width):
    """The COCO box [x, y, w, h] of the square of :func:`shapes_image`."""
    return [width // 4, height // 4, max(width // 2, 1), max(height // 2, 1)]


# kind: (image, COCO boxes of the added image)
KINDS = {
    'grayscale': (shapes_image(96, 80, channels=0), [square_box(96, 80)]),
    'rgba': (shapes_image(96, 80, channels=4), [square_box(96, 80)]),
    '16-bit': (shapes_image(96, 80, dtype=np.uint16), [square_box(96, 80)]),
    '1x1': (shapes_image(1, 1), [[0, 0, 1, 1]]),
    'wide': (shapes_image(8, 1000), [square_box(8, 1000)]),
    'tall': (shapes_image(1000, 8), [square_box(1000, 8)]),
    'no objects': (shapes_image(96, 80)[:] * 0, []),
    'zero-area box': (shapes_image(96, 80),
                      [square_box(96, 80), [20, 30, 0, 0], [40, 10, 12, 0]]),
}


# What mmdet's COCO filter leaves out of training: images under 32 pixels
# and images without objects.
NOT_TRAINED = {('1x1', 'detection'), ('wide', 'detection'),
               ('tall', 'detection'), ('no objects', 'detection')}
# What the libraries cannot take: mmseg squeezes a 1x1 label map to a
# scalar, which no transform takes.
REFUSED = {('1x1', 'segmentation')}


def add_image(root, image, boxes):
    """Adds ``image`` (its boxes as category 1, its square as class 1 of the
    label map) to both splits of the demo dataset in ``root/data/demo``."""
    demo = root / 'data' / 'demo'
    height, width = image.shape[:2]
    label_map = np.zeros((height, width), np.uint8)
    for x, y, w, h in boxes:
        label_map[y:y + h, x:x + w] = 1
    for split in ('train', 'val'):
        cv2.imwrite(str(demo / 'images' / split / FILE_NAME), image)
        cv2.imwrite(str(demo / 'ann_dir' / split / FILE_NAME), label_map)
        cv2.imwrite(str(demo / 'cls' / split / 'circle' / FILE_NAME), image)
        ann_file = demo / 'annotations' / f'instances_{split}.json'
        coco = json.loads(ann_file.read_text())
        image_id = max(entry['id'] for entry in coco['images']) + 1
        coco['images'].append(
            dict(id=image_id, file_name=FILE_NAME, height=height,
                 width=width))
        for box in boxes:
            coco['annotations'].append(
                dict(id=len(coco['annotations']) + 1, image_id=image_id,
                     category_id=1, bbox=box, area=box[2] * box[3],
                     iscrowd=0))
        ann_file.write_text(json.dumps(coco))


def loader_cfg(cfg, **changes):
    """A dataloader config read in order, in this process, with every
    random flip taken (a flipped map is where a stride goes negative), so
    that a test does not depend on a coin."""
    cfg = copy.deepcopy(cfg)
    cfg.update(num_workers=0, persistent_workers=False, **changes)
    cfg.sampler = dict(type='DefaultSampler', shuffle=False)
    for transform in cfg.dataset.pipeline:
        if transform['type'] == 'RandomFlip':
            transform['prob'] = 1.
    return cfg


def image_paths(batch):
    return [osp.basename(sample.img_path) for sample in batch['data_samples']]


def ground_truth(batch):
    """{image name: its number of boxes (None without boxes)}."""
    return {
        osp.basename(sample.img_path):
        len(sample.gt_instances) if 'gt_instances' in sample else None
        for sample in batch['data_samples']
    }


def train_and_test(cfg, model):
    """Runs every training batch (two images) through a training step of
    ``model`` and every test batch (as many images as the config says)
    through a test step and the evaluator; returns {name: number of boxes}
    of the images seen in training and the (image name, prediction size,
    image size) of every test prediction."""
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        trained = {}
        model.train()
        model.zero_grad(set_to_none=True)
        for batch in Runner.build_dataloader(
                loader_cfg(cfg.train_dataloader, batch_size=2)):
            data = model.data_preprocessor(batch, True)
            losses, _ = model.parse_losses(model(**data, mode='loss'))
            losses.backward()
            assert torch.isfinite(losses), image_paths(batch)
            trained.update(ground_truth(batch))
        assert all(param.grad is None or torch.isfinite(param.grad).all()
                   for param in model.parameters())
        model.eval()
        loader = Runner.build_dataloader(loader_cfg(cfg.test_dataloader))
        evaluator = Evaluator(cfg.test_evaluator)
        evaluator.dataset_meta = loader.dataset.metainfo
        predictions = []
        with torch.no_grad():
            for batch in loader:
                outputs = model.test_step(batch)
                evaluator.process(outputs, batch)
                predictions += [(osp.basename(out.img_path),
                                 prediction_size(out), out.ori_shape)
                                for out in outputs]
        metrics = evaluator.evaluate(len(loader.dataset))
    assert metrics and all(np.isfinite(value) or value == -1
                           for value in metrics.values()), metrics
    return trained, predictions


def prediction_size(output):
    """The (H, W) a prediction covers: the label map's, else the image's
    (boxes and scores carry no size)."""
    if 'pred_sem_seg' in output:
        return tuple(output.pred_sem_seg.shape)
    return tuple(output.ori_shape)


@pytest.fixture(scope='module')
def demo_data(module_tmp_path):
    """A tiny demo dataset (one training and one validation image per
    task) to copy for each kind."""
    return make_demo_data(module_tmp_path, num_train=1,
                          num_val=1)


@pytest.fixture(scope='module')
def demo_models():
    """The config and model of each demo, built once."""
    models = {}
    for task, config in DEMOS.items():
        cfg = Config.fromfile(osp.join(ROOT, config))
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            models[task] = cfg, MODELS.build(cfg.model)
    return models


@pytest.mark.parametrize('task', sorted(DEMOS))
@pytest.mark.parametrize('kind', sorted(KINDS))
def test_image_kind(kind, task, demo_data, demo_models, tmp_path):
    root = tmp_path / 'run'
    shutil.copytree(demo_data, root)
    image, boxes = KINDS[kind]
    add_image(root, image, boxes)
    with chdir(root):
        if (kind, task) in REFUSED:
            with pytest.raises(DataError, match='cannot load') as error:
                train_and_test(*demo_models[task])
            assert f'images/train/{FILE_NAME}' in str(error.value)
            return
        trained, predictions = train_and_test(*demo_models[task])
    assert (FILE_NAME in trained) == ((kind, task) not in NOT_TRAINED)
    if task == 'detection' and FILE_NAME in trained:
        # Boxes without area are dropped.
        assert trained[FILE_NAME] == 1
    # Every image is predicted at its own size, the added one included.
    names = [name for name, _, _ in predictions]
    num_val = CLS_IMAGES_PER_IMAGE if task == 'classification' else 1
    assert FILE_NAME in names and len(names) == num_val + 1
    for name, size, image_size in predictions:
        assert size == image_size, (name, size, image_size)
    assert predictions[names.index(FILE_NAME)][2] == image.shape[:2]
