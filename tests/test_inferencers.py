"""mmdet's ``DetInferencer``, mmseg's ``MMSegInferencer`` and mmpretrain's
``ImageClassificationInferencer`` on our configs and checkpoints as they
are, and ``demo/image_demo.py`` on top of them.

The four demo configs (RetinaNet, Mask R-CNN, Semantic FPN, classifier) are
the session's ``demo_trainings``: two iterations of ``tools/train.py`` on a
tiny demo dataset. Each Inferencer runs their checkpoints on one image, a list and a
folder; ``mmpoolformer.apis.build_inferencer`` builds the full (paper)
configs without weights and names their datasets' classes. The demo script
draws for every task and ends bad input with one ``error:`` line.
"""
import importlib
import json
import os
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope

from mmpoolformer.apis import (build_inferencer, inferencer_classes,
                               run_inferencer)
from mmpoolformer.engine.denormals import flush_denormals
from tool_runs import (ROOT, assert_clean_error, assert_ok, run_command,
                       run_in_process)

DEMO = osp.join(ROOT, 'demo', 'image_demo.py')
# task: (demo config, classes its demo dataset names)
TASKS = {
    'detection': ('configs/demo/retinanet_poolformer_s12_demo.py',
                  ('circle', 'square', 'triangle')),
    'instance': ('configs/demo/mask_rcnn_poolformer_s12_demo.py',
                 ('circle', 'square', 'triangle')),
    'semantic': ('configs/demo/fpn_poolformer_s12_demo.py',
                 ('background', 'circle', 'square', 'triangle')),
    'classification': ('configs/demo/poolformer_s12_demo_cls.py',
                       ('circle', 'square', 'triangle')),
}
# config: (module, dataset class whose classes it names)
FULL_CONFIGS = {
    'configs/retinanet_poolformer_s12_coco.py': ('mmdet.datasets',
                                                 'CocoDataset'),
    'configs/mask_rcnn_poolformer_s12_coco.py': ('mmdet.datasets',
                                                 'CocoDataset'),
    'configs/fpn_poolformer_s12_ade20k_40k.py': ('mmseg.datasets',
                                                 'ADE20KDataset'),
    'configs/poolformer_s12_in1k.py': ('mmpretrain.datasets', 'ImageNet'),
}


@pytest.fixture(scope='module', autouse=True)
def no_denormals():
    """Models trained for two iterations from scratch compute with denormal
    floats, an order of magnitude slower on the CPU (tools/train.py flushes
    them too)."""
    flushing = flush_denormals()
    yield
    if flushing:
        flush_denormals(False)


@pytest.fixture(scope='module')
def run_dir(demo_trainings):
    """The shared demo data (two validation images), where the demo
    configs find it."""
    return demo_trainings[0]


@pytest.fixture(scope='module')
def work_dir(module_tmp_path):
    """Where this module's runs write."""
    return module_tmp_path


@pytest.fixture(scope='module')
def images(run_dir):
    """The validation images, in the folder they share."""
    folder = run_dir / 'data' / 'demo' / 'images' / 'val'
    return sorted(str(path) for path in folder.iterdir())


@pytest.fixture(scope='module')
def checkpoints(demo_trainings):
    """task: the checkpoint of its demo config after two iterations."""
    runs = demo_trainings[1]
    return {task: runs[osp.basename(config)][0]
            for task, (config, _) in TASKS.items()}


def upstream_inferencer(task, checkpoint):
    """The library's own Inferencer, given the config file and checkpoint
    as a user would."""
    config = osp.join(ROOT, TASKS[task][0])
    if task == 'classification':
        from mmpretrain.apis import ImageClassificationInferencer

        # mmpretrain's builds its pipeline in the current registry scope,
        # which mmdet's and mmseg's Inferencers set for the whole process.
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            return ImageClassificationInferencer(
                model=config, pretrained=checkpoint, device='cpu')
    if task == 'semantic':
        from mmseg.apis import MMSegInferencer
        return MMSegInferencer(
            model=config, weights=checkpoint, device='cpu')
    from mmdet.apis import DetInferencer
    return DetInferencer(
        model=config, weights=checkpoint, device='cpu', show_progress=False)


def infer(task, inferencer, inputs, out_dir):
    """Runs an upstream Inferencer with its own arguments; returns one
    prediction per image and the folder of the drawings."""
    if task == 'classification':
        vis_dir = osp.join(out_dir, 'vis')
        os.makedirs(vis_dir)  # mmpretrain makes only the last folder
        return inferencer(inputs, show_dir=vis_dir), vis_dir
    if task == 'semantic':
        predictions = inferencer(inputs, out_dir=out_dir)['predictions']
        # One image gives its label map alone.
        if isinstance(predictions, np.ndarray):
            predictions = [predictions]
        return predictions, osp.join(out_dir, 'vis')
    predictions = inferencer(
        inputs, out_dir=out_dir, no_save_pred=False)['predictions']
    return predictions, osp.join(out_dir, 'vis')


def assert_prediction(task, prediction, image):
    """One image's prediction has the structure of the task's."""
    classes = TASKS[task][1]
    if task == 'classification':
        assert prediction['pred_scores'].shape == (len(classes), )
        assert prediction['pred_class'] == classes[prediction['pred_label']]
        assert prediction['pred_score'] == pytest.approx(
            prediction['pred_scores'].max())
        return
    if task == 'semantic':
        assert prediction.shape == cv2.imread(image).shape[:2]
        assert prediction.max() < len(classes)
        return
    keys = {'labels', 'scores', 'bboxes'} | (
        {'masks'} if task == 'instance' else set())
    assert set(prediction) == keys
    assert len({len(prediction[key]) for key in keys}) == 1
    assert all(0 <= label < len(classes) for label in prediction['labels'])
    assert all(len(box) == 4 for box in prediction['bboxes'])


def assert_drawings(folder, images):
    """One drawing per image, named after it, readable, of its size."""
    by_name = {osp.splitext(osp.basename(image))[0]: image for image in images}
    drawings = os.listdir(folder)
    assert sorted(osp.splitext(name)[0] for name in drawings) == \
        sorted(by_name)
    for name in drawings:
        drawing = cv2.imread(osp.join(folder, name))
        image = by_name[osp.splitext(name)[0]]
        assert drawing is not None and drawing.size > 0
        assert drawing.shape == cv2.imread(image).shape


@pytest.mark.parametrize('task', TASKS)
def test_upstream_inferencer_on_image_list_and_folder(task, checkpoints,
                                                      images, tmp_path):
    inferencer = upstream_inferencer(task, checkpoints[task])
    ways = {
        'one image': (images[0], images[:1]),
        'list': (images, images),
        'folder': (osp.dirname(images[0]), images),
    }
    for way, (inputs, expected) in ways.items():
        out_dir = str(tmp_path / way)
        predictions, vis_dir = infer(task, inferencer, inputs, out_dir)
        assert len(predictions) == len(expected)
        for prediction, image in zip(predictions, expected):
            assert_prediction(task, prediction, image)
        assert_drawings(vis_dir, expected)
        if task in ('detection', 'instance'):
            assert len(os.listdir(osp.join(out_dir, 'preds'))) == len(expected)
    # The checkpoint names the demo dataset's classes, not COCO's or
    # Cityscapes'.
    if task != 'classification':
        assert tuple(inferencer.model.dataset_meta['classes']) == \
            TASKS[task][1]


@pytest.mark.parametrize('config', FULL_CONFIGS)
def test_full_config_without_weights_names_its_dataset(config, tmp_path):
    """The paper configs, randomly initialised, through
    ``build_inferencer`` (the classifier's in a process where mmdet's and
    mmseg's Inferencers have set their registry scope)."""
    # The test pipelines scale an image to the config's size (up to
    # 1333x800): a 16x1024 strip stays small on the CPU.
    image = str(tmp_path / 'strip.png')
    strip = np.full((16, 1024, 3), 40, np.uint8)
    strip[4:12, 100:300] = 255
    cv2.imwrite(image, strip)
    inferencer = build_inferencer(osp.join(ROOT, config), device='cpu')
    out_dir = str(tmp_path / 'out')
    [prediction] = run_inferencer(inferencer, [image], out_dir=out_dir)
    module, name = FULL_CONFIGS[config]
    classes = tuple(getattr(importlib.import_module(module),
                            name).METAINFO['classes'])
    if 'in1k' in config:
        assert prediction['pred_scores'].shape == (1000, )
        assert prediction['pred_class'] == classes[prediction['pred_label']]
    else:
        # Without weights mmdet would name COCO's classes anyway, mmseg
        # Cityscapes' (19) for the 150 ADE20K ones.
        assert tuple(inferencer_classes(inferencer)) == classes
    assert_drawings(osp.join(out_dir, 'vis'), [image])
    assert len(os.listdir(osp.join(out_dir, 'preds' if 'ade20k' not in
                                   config else 'pred'))) == 1


def test_classification_draws_no_progress_bar_into_a_file(
        monkeypatch, tmp_path):
    """mmpretrain's progress bar, written to a file or pipe, can end
    without a newline and take the next line with it (image_demo's first
    result); off there, and on again for the rest of the process."""
    from mmpretrain.utils import progress
    starts = []
    monkeypatch.setattr(progress.global_live, 'start',
                        lambda *args, **kwargs: starts.append(args))
    image = str(tmp_path / 'square.png')
    cv2.imwrite(image, np.full((32, 32, 3), 200, np.uint8))
    inferencer = build_inferencer(
        osp.join(ROOT, 'configs/poolformer_s12_in1k.py'), device='cpu')
    assert not sys.stdout.isatty()  # pytest's capture
    [prediction] = run_inferencer(inferencer, [image])
    assert prediction['pred_scores'].shape == (1000, )
    assert starts == [] and progress.disable_progress_bar is False
    # Where the output is a terminal, the bar is drawn as mmpretrain does.
    monkeypatch.setattr(sys.stdout, 'isatty', lambda: True, raising=False)
    run_inferencer(inferencer, [image])
    assert len(starts) == 1


@pytest.mark.parametrize('fuse, fast', [(None, True), (False, False)])
def test_the_inferencer_runs_the_fast_path_by_default_on_cpu(
        fuse, fast, checkpoints):
    """On CPU the backbone is channels-last and fused once the weights are
    loaded, unless asked otherwise."""
    inferencer = build_inferencer(
        osp.join(ROOT, TASKS['detection'][0]), checkpoints['detection'],
        device='cpu', fuse=fuse)
    backbone = inferencer.model.backbone
    assert (backbone.fused, backbone.channels_last) == (fast, fast)


def test_bare_state_dict_takes_the_config_classes(checkpoints, tmp_path):
    """A checkpoint without ``meta`` (a bare state dict) is drawn with the
    config's classes, not Cityscapes'."""
    saved = torch.load(checkpoints['semantic'], map_location='cpu')
    bare = str(tmp_path / 'bare.pth')
    torch.save(dict(state_dict=saved['state_dict']), bare)
    inferencer = build_inferencer(
        osp.join(ROOT, TASKS['semantic'][0]), bare, device='cpu')
    assert tuple(inferencer_classes(inferencer)) == TASKS['semantic'][1]


@pytest.fixture(scope='module')
def demo_runs(checkpoints, images, work_dir):
    """task: (the demo's run, in the test process, on one image and a
    folder, its out dir). The folder holds the other image."""
    folder = work_dir / 'folder'
    folder.mkdir()
    shutil.copy(images[1], folder)

    def demo(task):
        out_dir = str(work_dir / 'demo_out' / task)
        return run_in_process(
            'demo/image_demo.py', images[0], folder, TASKS[task][0],
            checkpoints[task], '--out-dir', out_dir, '--device', 'cpu',
            '--score-thr', '0'), out_dir

    runs = {task: demo(task) for task in TASKS}
    return runs, [images[0], str(folder / osp.basename(images[1]))]


@pytest.mark.parametrize('task', TASKS)
def test_image_demo_draws_every_task(task, demo_runs):
    runs, inputs = demo_runs
    result, out_dir = runs[task]
    assert_ok(result)
    assert_drawings(osp.join(out_dir, 'vis'), inputs)
    # One line per image says what was found.
    lines = result.stdout.splitlines()
    for image in inputs:
        assert sum(line.startswith(f'{image}: ') for line in lines) == 1
    if task == 'classification':
        for image in inputs:
            name = osp.splitext(osp.basename(image))[0]
            with open(osp.join(out_dir, 'preds', f'{name}.json')) as f:
                assert json.load(f)['pred_class'] in TASKS[task][1]


def write_config(path, text):
    path.write_text(text)
    return str(path)


@pytest.fixture
def bad_inputs(tmp_path, images, checkpoints):
    """name: (demo arguments, fragment of the error line)."""
    config = osp.join(ROOT, TASKS['detection'][0])
    checkpoint = checkpoints['detection']
    no_images = tmp_path / 'no_images'
    no_images.mkdir()
    (no_images / 'notes.txt').write_text('not an image')
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(b'not a checkpoint')
    broken = write_config(tmp_path / 'broken.py', 'model = dict(\n')
    mmocr = write_config(
        tmp_path / 'mmocr.py',
        f"_base_ = '{config}'\ndefault_scope = 'mmocr'\n")
    missing = tmp_path / 'missing'
    return {
        'missing image': ([missing / 'a.png', config, checkpoint],
                          'image or folder not found'),
        'folder without images': ([no_images, config, checkpoint],
                                  'no image in the folder'),
        'file that is no image': ([no_images / 'notes.txt', config,
                                   checkpoint], 'not an image'),
        'missing config': ([images[0], missing / 'c.py', checkpoint],
                           'config file not found'),
        'broken config': ([images[0], broken, checkpoint],
                          'cannot read the config'),
        'unsupported scope': ([images[0], mmocr, checkpoint],
                              "default_scope is 'mmocr'"),
        'missing checkpoint': ([images[0], config, missing / 'c.pth'],
                               'checkpoint not found'),
        'garbage checkpoint': ([images[0], config, garbage],
                               'garbage.pth'),
    }


def test_image_demo_bad_inputs_end_in_one_line(bad_inputs):
    assert len(bad_inputs) == 8
    for name, (args, fragment) in bad_inputs.items():
        result = run_in_process('demo/image_demo.py', *args)
        assert result.returncode == 1, name
        assert_clean_error(result, fragment)


def test_image_demo_bad_input_from_the_command_line(bad_inputs):
    """The same as a user sees it: one line, no traceback."""
    args, fragment = bad_inputs['folder without images']
    result = run_command([sys.executable, DEMO, *args])
    assert result.returncode == 1
    assert_clean_error(result, fragment)


def test_image_demo_show_without_a_display_ends_in_one_line(
        images, checkpoints, tmp_path):
    """Where matplotlib opens no windows the Inferencers would wait for a
    key press forever: ``--show`` is refused before anything runs."""
    result = run_command([
        sys.executable, DEMO, images[0],
        osp.join(ROOT, TASKS['detection'][0]), checkpoints['detection'],
        '--show', '--out-dir', tmp_path / 'out'
    ], MPLBACKEND='Agg')
    assert result.returncode == 1
    assert_clean_error(result, '--show needs a display')
    assert '--out-dir' in result.stderr + result.stdout
    assert not (tmp_path / 'out').exists()
