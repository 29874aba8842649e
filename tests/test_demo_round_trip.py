"""A few-iteration train -> test -> reload round trip of every detection and
segmentation demo config.

Each config is trained for two iterations with ``tools/train.py`` on a tiny
copy of the demo dataset (the session's ``demo_trainings``), its checkpoint
is tested with ``tools/test.py`` (``--show-dir`` and ``--out`` included),
reloaded strictly into a freshly built model and run on one image with
``demo/image_demo.py``; the tools run in the test process. Testing the
checkpoint gives the metrics of training's own final validation, and the
reloaded model predicts what ``tools/test.py`` dumped. Whether the demos
*learn* is a benchmark, not a test: see docs/demo.md.
"""
import os
import os.path as osp
import pickle

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import Runner, load_checkpoint

from conftest import DEMO_CONFIGS
from tool_runs import (DEMO_DIR, KEEP_ALL_DETECTIONS, final_metrics,
                       output_of)

# Metric keys each demo's test must print.
METRIC_KEYS = {
    'retinanet_poolformer_s12_demo.py': ['coco/bbox_mAP'],
    'retinanet_caformer_s18_demo.py': ['coco/bbox_mAP'],
    'mask_rcnn_poolformer_s12_demo.py': ['coco/bbox_mAP', 'coco/segm_mAP'],
    'cascade_mask_rcnn_convformer_s18_demo.py':
    ['coco/bbox_mAP', 'coco/segm_mAP'],
    'dino_4scale_caformer_s18_demo.py': ['coco/bbox_mAP'],
    'fpn_poolformer_s12_demo.py': ['mIoU'],
    'upernet_caformer_s18_demo.py': ['mIoU'],
}


def test_every_detection_and_segmentation_demo_is_covered():
    configs = [name for name in os.listdir(DEMO_DIR) if name.endswith('.py')]
    scopes = {
        name: Config.fromfile(osp.join(DEMO_DIR, name)).get('default_scope')
        for name in configs
    }
    found = [name for name in configs if scopes[name] in ('mmdet', 'mmseg')]
    assert sorted(found) == sorted(METRIC_KEYS)
    assert sorted(configs) == sorted(DEMO_CONFIGS)


def assert_same_predictions(dumped, predicted):
    """The predictions that ``tools/test.py --out`` dumped (dicts) equal
    those of the data samples ``predicted``, image by image: the sorted
    detection scores (near-tied boxes may trade places), or the
    segmentation logits."""
    assert len(dumped) == len(predicted) > 0
    for saved, sample in zip(dumped, predicted):
        assert saved['img_path'] == sample.img_path
        if 'pred_instances' in saved:
            scores = sample.pred_instances.scores
            assert len(scores) > 0
            torch.testing.assert_close(
                saved['pred_instances']['scores'].sort().values,
                scores.sort().values,
                atol=1e-5,
                rtol=1e-4)
        else:
            torch.testing.assert_close(
                saved['seg_logits']['data'],
                sample.seg_logits.data,
                atol=1e-5,
                rtol=1e-4)


def assert_the_fast_default_predicts_as_built(config, checkpoint, keep_all,
                                            run_dir, tmp_path, predicted):
    """tools/test.py's default on CPU (the backbone channels-last and fused)
    dumps what the demo detector as built predicts."""
    dump = tmp_path / 'fast.pkl'
    output = output_of('test.py', config, checkpoint, '--work-dir',
                       tmp_path / 'fast', '--out', dump, '--cfg-options',
                       *[f'{k}={v}' for k, v in keep_all.items()],
                       cwd=run_dir)
    assert 'backbone channels-last and fused (the default on CPU' in output
    with open(dump, 'rb') as f:
        assert_same_predictions(pickle.load(f), predicted)


@pytest.mark.parametrize('name', sorted(METRIC_KEYS))
def test_train_test_reload(name, demo_trainings, tmp_path, monkeypatch):
    config = osp.join(DEMO_DIR, name)
    run_dir, runs = demo_trainings
    checkpoint, training = runs[name]
    work_dir = tmp_path / 'work_dir'
    keep_all = KEEP_ALL_DETECTIONS.get(name, {})
    keep_all_args = [f'{key}={value}' for key, value in keep_all.items()]

    show_dir = work_dir / 'pictures'
    dump = work_dir / 'predictions.pkl'
    # As built (--no-fuse), as training validated it: the fast default's
    # float rounding would reorder the near-tied boxes of a detector two
    # iterations old (the fast default: see
    # assert_the_fast_default_predicts_as_built).
    test_args = [
        config, checkpoint, '--work-dir', work_dir, '--show-dir', show_dir,
        '--out', dump, '--no-fuse'
    ]
    if keep_all_args:
        test_args += ['--cfg-options', *keep_all_args]
    output = output_of('test.py', *test_args, cwd=run_dir)
    tested = final_metrics(output, 'test')
    for key in METRIC_KEYS[name]:
        assert key in tested, \
            f'{key} missing from the metrics tools/test.py printed'
    # The checkpoint holds the model training ended with, which training
    # validated on the same (test) data.
    assert tested == final_metrics(training, 'val')
    pictures = [
        file for _, _, files in os.walk(show_dir) for file in files
        if file.endswith('.png')
    ]
    num_val = len(os.listdir(run_dir / 'data' / 'demo' / 'images' / 'val'))
    assert len(pictures) == num_val > 0

    cfg = Config.fromfile(config)
    cfg.merge_from_dict(keep_all)
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False)
    # The configs' data root is relative to the run directory.
    monkeypatch.chdir(run_dir)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        # Strict: any missing or unexpected key raises.
        saved = load_checkpoint(
            model, checkpoint, map_location='cpu', strict=True)
        loader = Runner.build_dataloader(cfg.test_dataloader)
        model.eval()
        with torch.no_grad():
            predicted = [
                sample for batch in loader
                for sample in model.test_step(batch)
            ]
    assert tuple(saved['meta']['dataset_meta']['classes']) == tuple(
        cfg.train_dataloader.dataset.metainfo.classes)
    with open(dump, 'rb') as f:
        assert_same_predictions(pickle.load(f), predicted)
    if name == 'retinanet_poolformer_s12_demo.py':
        assert_the_fast_default_predicts_as_built(
            config, checkpoint, keep_all, run_dir, tmp_path, predicted)

    image = run_dir / 'data' / 'demo' / 'images' / 'val' / '000000.png'
    out_dir = work_dir / 'demo_out'
    output_of('demo/image_demo.py', image, config, checkpoint, '--out-dir',
              out_dir, '--device', 'cpu', cwd=run_dir)
    drawing = out_dir / 'vis' / image.name
    assert cv2.imread(str(drawing)).shape == cv2.imread(str(image)).shape
