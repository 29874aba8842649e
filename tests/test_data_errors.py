"""Unusable data ends training or testing with one ``error:`` line that
names the file (and the image id), also when a dataloader worker hit it.

Each case damages one file of a tiny demo dataset and runs the real tool.
"""
import json

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.structures import PixelData

from mmpoolformer.datasets import (CheckedPipeline, DataError,
                                   MissingDataError, as_annotation_error,
                                   check_dataset_folders, wrapped_datasets)
from tool_runs import ROOT, assert_clean_error, make_demo_data, run

RETINANET = f'{ROOT}/configs/demo/retinanet_poolformer_s12_demo.py'
FPN = f'{ROOT}/configs/demo/fpn_poolformer_s12_demo.py'
# One iteration over all eight training images, in a dataloader worker.
ONE_BATCH = [
    'train_cfg.max_iters=1', 'train_dataloader.batch_size=8',
    'train_dataloader.num_workers=1'
]


@pytest.fixture
def run_dir(tmp_path):
    return make_demo_data(tmp_path)


def train(config, run_dir):
    return run(
        'train.py',
        config,
        '--work-dir',
        run_dir / 'work_dir',
        '--cfg-options',
        *ONE_BATCH,
        cwd=run_dir)


def image_id(run_dir, split, file_name):
    with open(run_dir / f'data/demo/annotations/instances_{split}.json') as f:
        images = json.load(f)['images']
    return next(image['id'] for image in images
                if image['file_name'] == file_name)


def test_missing_training_image(run_dir):
    image = run_dir / 'data/demo/images/train/000003.png'
    image.unlink()
    assert_clean_error(
        train(RETINANET, run_dir), 'data/demo/images/train/000003.png',
        f'image id {image_id(run_dir, "train", "000003.png")}',
        'FileNotFoundError')


def test_unreadable_test_image(run_dir):
    image = run_dir / 'data/demo/images/val/000001.png'
    image.write_bytes(b'these bytes are not a PNG image')
    cfg = Config.fromfile(RETINANET)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    checkpoint = run_dir / 'model.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    assert_clean_error(
        run('test.py', RETINANET, checkpoint, '--work-dir',
            run_dir / 'work_dir', cwd=run_dir),
        'data/demo/images/val/000001.png',
        f'image id {image_id(run_dir, "val", "000001.png")}')


@pytest.mark.parametrize(
    'content',
    [
        [{'file': '000000.png', 'label': 1}],  # a list, not a COCO dict
        {'images': [], 'annotations': []},  # no categories
    ])
def test_annotation_file_that_is_not_coco(run_dir, content):
    annotations = run_dir / 'data/demo/annotations/instances_train.json'
    annotations.write_text(json.dumps(content))
    assert_clean_error(
        train(RETINANET, run_dir), 'cannot load the annotations in',
        'data/demo/annotations/instances_train.json')


def test_label_map_with_values_outside_the_classes(run_dir):
    import cv2
    path = run_dir / 'data/demo/ann_dir/train/000002.png'
    label_map = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    label_map[:4, :4] = 9
    cv2.imwrite(str(path), label_map)
    assert_clean_error(
        train(FPN, run_dir), 'data/demo/ann_dir/train/000002.png', '[9]',
        'classes 0-3', 'ignore index 255')


class _Sample:

    def __init__(self, labels):
        self.gt_sem_seg = PixelData(data=torch.tensor(labels)[None])


def test_checked_pipeline_passes_valid_samples_through():
    pipeline = CheckedPipeline(
        lambda info: dict(data_samples=_Sample(info['labels'])),
        num_classes=4)
    packed = pipeline(dict(labels=[[0, 3], [255, 1]], img_path='a.png'))
    assert packed['data_samples'].gt_sem_seg.data.max() == 255


@pytest.mark.parametrize('bad', [4, -1])
def test_checked_pipeline_refuses_labels_outside_the_classes(bad):
    pipeline = CheckedPipeline(
        lambda info: dict(data_samples=_Sample(info['labels'])),
        num_classes=4,
        ignore_index=255)
    with pytest.raises(DataError, match=rf'b\.png has values \[{bad}\]'):
        pipeline(dict(labels=[[0, bad]], img_path='a.png',
                      seg_map_path='b.png'))


def test_data_error_keeps_its_message_through_a_worker_traceback():
    raised_again = DataError(
        'Caught DataError in DataLoader worker process 0.\n'
        'Original Traceback (most recent call last):\n'
        '  File "x.py", line 1, in <module>\n'
        'mmpoolformer.datasets.errors.DataError: cannot load image id 3, '
        'a.png: OSError: broken\n')
    assert str(raised_again) == 'cannot load image id 3, a.png: OSError: broken'


def load_data_list(error):
    """Stands for a dataset's annotation parser (matched by name)."""
    raise error


def build(error):
    raise error


def _raised_by(function, error):
    try:
        function(error)
    except Exception as raised:
        return raised


def test_annotation_error_names_the_files_of_wrapped_datasets():
    cfg = dict(
        type='RepeatDataset',
        times=2,
        dataset=dict(data_root='data/x', ann_file='train.json'))
    error = _raised_by(load_data_list, KeyError('images'))
    reported = as_annotation_error(error, cfg)
    assert isinstance(reported, DataError)
    assert str(reported) == ('cannot load the annotations in '
                             "data/x/train.json: KeyError: 'images'")
    # Errors from elsewhere (a config mistake, say) pass unchanged.
    other = _raised_by(build, KeyError('images'))
    assert as_annotation_error(other, cfg) is other


def test_missing_folders_of_wrapped_datasets_are_named(tmp_path):
    (tmp_path / 'a' / 'images').mkdir(parents=True)
    (tmp_path / 'a' / 'train.json').write_text('{}')
    (tmp_path / 'b').mkdir()
    present = dict(
        data_root=str(tmp_path / 'a'),
        ann_file='train.json',
        data_prefix=dict(img='images/'))
    missing_images = dict(
        type='RepeatDataset',
        times=2,
        dataset=dict(
            data_root=str(tmp_path / 'b'), data_prefix=dict(img='images/')))
    loader = dict(
        dataset=dict(type='ConcatDataset', datasets=[present,
                                                     missing_images]))
    check_dataset_folders({'train_dataloader': dict(dataset=present)})
    with pytest.raises(MissingDataError) as raised:
        check_dataset_folders({'train_dataloader': loader}, 'mmdet')
    assert str(raised.value) == (
        f'dataset folder not found: {tmp_path / "b" / "images"}/ '
        '(train_dataloader.dataset.datasets.1.dataset.data_prefix.img); '
        'see docs/detection_segmentation.md to prepare it')


def test_wrapped_datasets_walks_built_datasets():
    parts = [torch.utils.data.TensorDataset(torch.zeros(n)) for n in (2, 3)]
    concat = torch.utils.data.ConcatDataset(parts)
    assert list(wrapped_datasets(concat)) == [
        ('dataset', concat), ('dataset.datasets.0', parts[0]),
        ('dataset.datasets.1', parts[1])
    ]
