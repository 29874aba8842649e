"""tools/test.py's options from mmdet's, mmseg's and mmpretrain's own test
tools, on the demo configs with randomly initialised models: ``--out`` (a
.pkl dump or, for mmseg, a folder of prediction maps), ``--tta`` with the
library's default test-time augmentation where the config has none, and
``--show`` / ``--wait-time``, shown on a stand-in display (a matplotlib
backend that records its windows instead of opening them)."""
import contextlib
import inspect
import os.path as osp
import pickle
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import HOOKS, DefaultScope
from mmengine.visualization import Visualizer

from mmpoolformer.analysis import build_model
from mmpoolformer.apis import prepare_test, run_test, testing
from mmpoolformer.datasets.demo_shapes import CLS_IMAGES_PER_IMAGE
from mmpoolformer.engine import UsageError, build_config_model
from tool_runs import (ROOT, assert_clean_error, assert_ok,
                       fresh_mmengine_instances, make_demo_data, run,
                       run_in_process)

DEMO = osp.join(ROOT, 'configs', 'demo')
CONFIGS = {
    'mmdet': osp.join(DEMO, 'retinanet_poolformer_s12_demo.py'),
    'mmseg': osp.join(DEMO, 'fpn_poolformer_s12_demo.py'),
    'mmpretrain': osp.join(DEMO, 'poolformer_s12_demo_cls.py'),
}
NUM_IMAGES = 2
# A config as a user writes it without test-time augmentation settings:
# the demo configs inherit them from the libraries' configs.
WITHOUT_TTA = """
_base_ = '{base}'
tta_model = None
tta_pipeline = None
"""
# A matplotlib backend in place of a display: it records each window it
# shows and how long it is asked to wait for a key, and returns at once.
RECORDING_DISPLAY = """
import os
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg


def record(line):
    with open(os.environ['SHOWN'], 'a') as f:
        f.write(line + '\\n')


class FigureManager(FigureManagerBase):

    def show(self):
        record(f'show {self.get_window_title()}')


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager

    def start_event_loop(self, timeout=0):
        record(f'wait {timeout}')
"""


@pytest.fixture(scope='module')
def workspace(module_tmp_path):
    """The demo data, 64 px, where the demo configs look for it when they
    run here, and a checkpoint without weights for runs that end early."""
    root = make_demo_data(module_tmp_path, num_train=1,
                          num_val=NUM_IMAGES, img_size=64)
    torch.save({'state_dict': {}}, root / 'empty.pth')
    return root


def random_checkpoint(config, path):
    """The config's model with random weights, saved at ``path``."""
    torch.manual_seed(0)
    model = build_model(Config.fromfile(config))
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def val_names(workspace):
    folder = workspace / 'data/demo/images/val'
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == NUM_IMAGES
    return names


def without_tta(scope, folder):
    """A config of ``scope`` without tta_model and tta_pipeline, in
    ``folder``."""
    config = folder / f'{scope}_without_tta.py'
    config.write_text(WITHOUT_TTA.format(base=CONFIGS[scope]))
    return config


def test_out_folder_gets_the_prediction_map_of_every_image(
        workspace, tmp_path):
    """For mmseg, ``--out DIR`` writes one PNG of class indices per test
    image (mmseg's ``--out``): the maps are the predictions the metrics
    scored, as the pixel accuracy computed from them shows. With ``--tta``
    on a config without TTA settings: SegTTAModel on the test pipeline and
    its flip, scored against the unflipped label maps."""
    checkpoint = random_checkpoint(CONFIGS['mmseg'], tmp_path / 'fpn.pth')
    maps = tmp_path / 'maps'
    result = run_in_process('test.py', without_tta('mmseg', tmp_path),
                            checkpoint, '--work-dir', tmp_path / 'work_dir',
                            '--out', maps, '--tta', cwd=workspace)
    assert_ok(result)
    assert 'the config has no tta_model, using SegTTAModel' in result.stdout
    names = val_names(workspace)
    assert sorted(p.name for p in maps.iterdir()) == names
    correct = total = 0
    for name in names:
        predicted = cv2.imread(str(maps / name), cv2.IMREAD_UNCHANGED)
        truth = cv2.imread(
            str(workspace / 'data/demo/ann_dir/val' / name),
            cv2.IMREAD_UNCHANGED)
        assert predicted.shape == truth.shape == (64, 64)
        assert set(np.unique(predicted)) <= {0, 1, 2, 3}
        correct += (predicted == truth).sum()
        total += truth.size
    printed = float(re.search(r'aAcc: ([\d.]+)', result.stdout).group(1))
    assert printed == pytest.approx(100 * correct / total, abs=0.01)


def test_from_python_the_metrics_that_the_tool_prints(workspace, tmp_path):
    """What tools/test.py runs, called from Python
    (``mmpoolformer.apis.prepare_test`` and ``run_test``), returns the
    metrics that the tool prints for the same checkpoint."""
    checkpoint = random_checkpoint(CONFIGS['mmseg'], tmp_path / 'fpn.pth')
    with contextlib.chdir(workspace), fresh_mmengine_instances():
        cfg = prepare_test(CONFIGS['mmseg'], str(checkpoint),
                           work_dir=str(tmp_path / 'from_python'))
        metrics = run_test(cfg, str(checkpoint))
    result = run_in_process('test.py', CONFIGS['mmseg'], checkpoint,
                            '--work-dir', tmp_path / 'tool', cwd=workspace)
    assert_ok(result)
    assert set(metrics) == {'aAcc', 'mIoU', 'mAcc'}
    for name, value in metrics.items():
        printed = re.search(rf'{name}: ([\d.]+)', result.stdout).group(1)
        assert float(printed) == pytest.approx(value, abs=0.005), name


@pytest.mark.parametrize('scope', ['mmdet', 'mmpretrain'])
def test_out_folder_needs_an_mmseg_config(scope, tmp_path):
    out = tmp_path / 'predictions'
    with pytest.raises(
            UsageError,
            match=f'--out must be a .pkl or .pickle file for {scope} configs'):
        testing.write_prediction_maps(
            Config.fromfile(CONFIGS[scope]), str(out))
    assert not out.exists()


def test_out_folder_that_is_a_file(tmp_path):
    out = tmp_path / 'maps.png'
    out.write_bytes(b'')
    with pytest.raises(UsageError, match='is a file'):
        testing.write_prediction_maps(
            Config.fromfile(CONFIGS['mmseg']), str(out))


@pytest.mark.parametrize('scope, tta_model, metric',
                         [('mmdet', 'DetTTAModel', 'coco/bbox_mAP'),
                          ('mmpretrain', 'AverageClsScoreTTA',
                           'accuracy/top1')])
def test_tta_without_tta_settings_in_the_config(workspace, tmp_path, scope,
                                                tta_model, metric):
    """``--tta`` on a config without tta_model and tta_pipeline tests with
    the library's default TTA model on the test pipeline and its flip (mmseg:
    test_out_folder_gets_the_prediction_map_of_every_image)."""
    checkpoint = random_checkpoint(CONFIGS[scope], tmp_path / 'model.pth')
    out = tmp_path / 'predictions.pkl'
    result = run_in_process('test.py', without_tta(scope, tmp_path),
                            checkpoint, '--work-dir', tmp_path / 'work_dir',
                            '--tta', '--out', out, cwd=workspace)
    assert_ok(result)
    assert f'the config has no tta_model, using {tta_model}' in result.stdout
    assert f'{metric}: ' in result.stdout
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    num_images = NUM_IMAGES * (CLS_IMAGES_PER_IMAGE
                               if scope == 'mmpretrain' else 1)
    # The first view, packed by the flip pipeline, which adds the flip to
    # the meta keys.
    assert [prediction['flip']
            for prediction in predictions] == [False] * num_images


@pytest.mark.parametrize('scope', sorted(CONFIGS))
def test_default_tta_pipeline_flips_the_test_pipeline(scope):
    cfg = Config.fromfile(CONFIGS[scope])
    cfg.tta_model = cfg.tta_pipeline = None
    test_pipeline = cfg.test_dataloader.dataset.pipeline
    model_type = cfg.model.type
    testing.enable_tta(cfg)
    assert cfg.model.type == testing.DEFAULT_TTA_MODELS[scope]['type']
    assert cfg.model.module.type == model_type
    *steps, tta = cfg.test_dataloader.dataset.pipeline
    assert steps == test_pipeline[:-1]
    assert tta.type == 'TestTimeAug'
    flips, packs = tta.transforms
    assert [(flip.type, flip.prob)
            for flip in flips] == [('RandomFlip', 0.), ('RandomFlip', 1.)]
    assert [pack.type for pack in packs] == [test_pipeline[-1].type]
    for key in ('flip', 'flip_direction'):
        assert key in packs[0].get('meta_keys', (key, ))


def test_tta_settings_of_the_config_win():
    cfg = Config.fromfile(CONFIGS['mmdet'])
    own_model, own_pipeline = cfg.tta_model, cfg.tta_pipeline
    testing.enable_tta(cfg)
    assert cfg.model == dict(own_model, module=cfg.model.module)
    assert cfg.test_dataloader.dataset.pipeline == own_pipeline


@pytest.mark.parametrize('config, refused',
                         [('mask_rcnn_poolformer_s12_demo.py', True),
                          ('retinanet_poolformer_s12_demo.py', False)])
def test_tta_refuses_instance_masks(config, refused):
    """mmdet's DetTTAModel merges boxes only: ``--tta`` on Mask R-CNN ends
    with an error line before the run instead of a failed assertion after
    the first batch."""
    cfg = Config.fromfile(osp.join(DEMO, config))
    testing.enable_tta(cfg)
    model = build_config_model(cfg)
    if refused:
        with pytest.raises(UsageError, match='instance masks'):
            testing.check_tta_model(model)
    else:
        testing.check_tta_model(model)


def test_show_in_a_window_per_image(workspace, tmp_path):
    """mmdet's ``--show``: every prediction in a window that stays
    ``--wait-time`` seconds."""
    (tmp_path / 'recording_display.py').write_text(RECORDING_DISPLAY)
    shown = tmp_path / 'shown.txt'
    checkpoint = random_checkpoint(CONFIGS['mmdet'], tmp_path / 'model.pth')
    result = run(
        'test.py',
        CONFIGS['mmdet'],
        checkpoint,
        '--work-dir',
        tmp_path / 'work_dir',
        '--show',
        '--wait-time',
        0.25,
        cwd=workspace,
        MPLBACKEND='module://recording_display',
        PYTHONPATH=osp.pathsep.join([ROOT, str(tmp_path)]),
        SHOWN=shown)
    assert_ok(result)
    assert 'coco/bbox_mAP' in result.stdout
    expected = []
    for name in val_names(workspace):
        expected += [f'show {name}', 'wait 0.25']
    assert shown.read_text().splitlines() == expected


@pytest.mark.parametrize('scope', sorted(CONFIGS))
def test_show_sets_the_visualization_hook(monkeypatch, scope):
    """The hook of each scope, built from what ``--show --wait-time``
    makes of the config, shows and waits; ``--wait-time`` defaults to 2
    seconds, as in mmdet."""
    monkeypatch.setenv('LOCAL_RANK', '0')
    default = inspect.signature(testing.prepare_test).parameters['wait_time']
    assert default.default == 2
    for wait_time in (2, 0.25):
        cfg = Config.fromfile(CONFIGS[scope])
        testing.enable_visualization(cfg, None, True, wait_time)
        Visualizer.get_instance(f'test_show_{scope}_{wait_time}')
        with DefaultScope.overwrite_default_scope(scope):
            hook = HOOKS.build(cfg.default_hooks.visualization)
        assert hook.show is True
        if scope == 'mmpretrain':
            assert hook.enable is True
            assert hook.draw_args['wait_time'] == wait_time
        else:
            assert hook.draw is True
            assert hook.wait_time == wait_time


def test_show_without_a_display(workspace, tmp_path):
    """matplotlib's Agg, its choice without a display, opens no window:
    ``--show`` is refused, where mmengine would wait for a key forever."""
    result = run('test.py', CONFIGS['mmdet'], 'empty.pth', '--show',
                 '--wait-time', 0, '--work-dir', tmp_path / 'work_dir',
                 cwd=workspace, MPLBACKEND='Agg')
    assert_clean_error(result, '--show needs a display', '--show-dir')
    assert not (tmp_path / 'work_dir').exists()


def test_loading_in_the_main_process(workspace, tmp_path):
    """``test_dataloader.num_workers=0`` alone runs: the config's persistent
    workers, which PyTorch's DataLoader refuses without workers, go too."""
    checkpoint = random_checkpoint(CONFIGS['mmseg'], tmp_path / 'model.pth')
    result = run_in_process('test.py', CONFIGS['mmseg'], checkpoint,
                            '--work-dir', tmp_path / 'work_dir',
                            '--cfg-options', 'test_dataloader.num_workers=0',
                            cwd=workspace)
    assert_ok(result)
    assert 'mIoU' in result.stdout
