"""The command-line tools: train -> test round trips on a tiny COCO-style
dataset (URL and local checkpoints, TTA, drawing, two CPU processes), testing
a segmentor, conversion of checkpoints in the official layouts, FLOPs and
speed of detection, segmentation and mmpretrain configs, and one clear error
line for each bad input."""
import functools
import http.server
import json
import os.path as osp
import pickle
import re
import threading

import cv2
import numpy as np
import pytest
import torch
from conftest import randomize_
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from mmpoolformer.checkpoint import load_state_dict
from tool_runs import (ROOT, assert_clean_error, assert_ok, free_port,
                       make_tiny_ade, run, run_in_process)

CONFIGS = osp.join(ROOT, 'configs')
RETINANET = osp.join(CONFIGS, 'retinanet_poolformer_s12_coco.py')
FPN = osp.join(CONFIGS, 'fpn_poolformer_s12_ade20k_40k.py')
# Official PoolFormer layout: (layers, embed dims) per arch.
ARCHS = {'s12': ([2, 2, 6, 2], [64, 128, 320, 512])}

TINY_RETINANET = """
_base_ = '{base}'
data_root = '{data_root}/'
# Keep every box: a barely trained detector scores below the usual 0.05.
model = dict(backbone=dict(init_cfg=None), test_cfg=dict(score_thr=0.))
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(96, 64), keep_ratio=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
dataset = dict(
    data_root=data_root,
    ann_file='annotations.json',
    data_prefix=dict(img='images/'),
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False, dataset=dataset)
val_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dataset)
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
# RetinaNet's test-time augmentation at this dataset's scales.
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='Resize', scale=(96, 64), keep_ratio=True),
                dict(type='Resize', scale=(48, 32), keep_ratio=True)
            ],
            [dict(type='RandomFlip', prob=1.),
             dict(type='RandomFlip', prob=0.)],
            [dict(type='LoadAnnotations', with_bbox=True)],
            [
                dict(
                    type='PackDetInputs',
                    meta_keys=('img_id', 'img_path', 'ori_shape',
                               'img_shape', 'scale_factor', 'flip',
                               'flip_direction'))
            ]
        ])
]
"""

USER_CLASSIFIER = """
_base_ = 'mmpretrain::poolformer/poolformer-s12_32xb128_in1k.py'
custom_imports = dict(imports=['mmpoolformer'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpoolformer.PoolFormer',
        arch='s12',
        out_indices=(3, )))
"""


def build(config):
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return MODELS.build(cfg.model)


@pytest.fixture(scope='module')
def coco(module_tmp_path):
    """Two 64x96 images with two boxes each, in COCO's format, with COCO's
    80 categories."""
    from mmdet.datasets import CocoDataset
    root = module_tmp_path / 'coco'
    root.mkdir()
    (root / 'images').mkdir()
    rng = np.random.default_rng(0)
    images, annotations = [], []
    for image_id in (1, 2):
        name = f'{image_id}.jpg'
        cv2.imwrite(
            str(root / 'images' / name),
            rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
        images.append(dict(id=image_id, file_name=name, height=64, width=96))
        for category, (x, y, w, h) in ((1, (8, 8, 32, 40)), (3, (50, 10, 40,
                                                                 50))):
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=category,
                    bbox=[x, y, w, h],
                    area=w * h,
                    segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]],
                    iscrowd=0))
    categories = [
        dict(id=index + 1, name=name)
        for index, name in enumerate(CocoDataset.METAINFO['classes'])
    ]
    (root / 'annotations.json').write_text(
        json.dumps(
            dict(
                images=images, annotations=annotations,
                categories=categories)))
    return root


@pytest.fixture(scope='module')
def tiny_config(coco):
    """The shipped RetinaNet-S12 config on the tiny dataset, 1 epoch."""
    path = coco / 'tiny_retinanet.py'
    path.write_text(TINY_RETINANET.format(base=RETINANET, data_root=coco))
    return path


@pytest.fixture(scope='module')
def trained(tiny_config, module_tmp_path):
    """The checkpoint tools/train.py saves after one epoch."""
    work_dir = module_tmp_path / 'work_dir'
    assert_ok(run_in_process('train.py', tiny_config, '--work-dir',
                             work_dir))
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    return checkpoint


def test_train_then_test_from_url(trained, tiny_config, tmp_path):
    """tools/test.py evaluates what tools/train.py saved, served by URL
    (test_converted_official_release_evaluates evaluates a local file),
    with test-time augmentation."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(trained.parent))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_port}/{trained.name}'
    out = tmp_path / 'predictions.pkl'
    try:
        result = run(
            'test.py',
            tiny_config,
            url,
            '--work-dir',
            tmp_path,
            '--out',
            out,
            '--tta',
            TORCH_HOME=tmp_path / 'torch_home')
    finally:
        server.shutdown()
    assert_ok(result)
    assert 'coco/bbox_mAP' in result.stdout
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 2


def random_detector_checkpoint(path):
    """RetinaNet-S12 with random weights, its class logits scaled down so
    that the scores spread out (about 0.52-0.83 on the tiny dataset) with
    gaps well above the fused model's rounding. A barely trained detector
    scores nearly every box alike, and boxes whose scores tie swap places
    when the rounding changes."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(Config.fromfile(RETINANET).model)
    randomize_(model, seed=3)
    with torch.no_grad():
        model.bbox_head.retina_cls.weight.mul_(0.01)
    torch.save({'state_dict': model.state_dict()}, path)
    return path


def test_testing_on_cpu_is_fast_by_default_and_predicts_as_built(
        tiny_config, tmp_path):
    """tools/test.py on CPU runs the backbone channels-last (so the oneDNN
    MLP path runs) and fused once the checkpoint is loaded, and says so;
    it dumps the predictions of the model as built (--no-fuse)."""
    checkpoint = random_detector_checkpoint(tmp_path / 'random.pth')
    predictions, logs = {}, {}
    for name, extra in (('plain', ['--no-fuse']), ('fused', [])):
        out = tmp_path / f'{name}.pkl'
        result = run_in_process('test.py', tiny_config, checkpoint,
                                '--work-dir', tmp_path / name, '--out', out,
                                *extra)
        assert_ok(result)
        logs[name] = result.stdout
        with open(out, 'rb') as f:
            predictions[name] = pickle.load(f)
    assert 'fast inference: backbone channels-last and fused (the default ' \
        'on CPU; --no-fuse keeps the model as built)' in logs['fused']
    assert 'fused 12 blocks in 1 PoolFormer backbone(s)' in logs['fused']
    assert 'fast inference: backbone as built (as asked)' in logs['plain']
    assert 'fused 12 blocks' not in logs['plain']
    assert len(predictions['plain']) == len(predictions['fused']) == 2
    for plain, fused in zip(predictions['plain'], predictions['fused']):
        plain, fused = plain['pred_instances'], fused['pred_instances']
        assert len(plain['scores']) > 0
        torch.testing.assert_close(fused['scores'], plain['scores'],
                                   atol=1e-4, rtol=1e-3)
        torch.testing.assert_close(fused['bboxes'], plain['bboxes'],
                                   atol=1e-2, rtol=1e-3)


def test_test_segmentor(tmp_path):
    """tools/test.py on the shipped Semantic FPN config (mmseg scope) with a
    tiny ADE20K-style folder, drawing and dumping its predictions."""
    root = make_tiny_ade(tmp_path / 'ade')
    checkpoint = tmp_path / 'fpn.pth'
    torch.save(dict(state_dict=build(FPN).state_dict()), checkpoint)
    out = tmp_path / 'predictions.pkl'
    result = run_in_process(
        'test.py', FPN, checkpoint, '--work-dir', tmp_path, '--out', out,
        '--show-dir', tmp_path / 'drawn', '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False')
    assert_ok(result)
    assert 'mIoU' in result.stdout
    assert len(list(tmp_path.glob('drawn/vis_data/vis_image/*.png'))) == 2
    with open(out, 'rb') as f:
        assert len(pickle.load(f)) == 2


def test_dist_train_on_cpu_processes(tiny_config, tmp_path):
    # CUDA hidden: the gloo fallback of machines without it, on any machine.
    result = run(
        'dist_train.sh',
        tiny_config,
        2,
        '--work-dir',
        tmp_path,
        PORT=free_port(),
        CUDA_VISIBLE_DEVICES='')
    assert_ok(result)
    assert 'Distributed training: True' in result.stdout
    assert (tmp_path / 'epoch_1.pth').is_file()


def official_backbone_names(arch, out_stages):
    """Names of a backbone in the official sail-sg detection / segmentation
    code (``patch_embed``, ``network.*``, ``norm{2i}``), from its
    structure, each with our name and the shape."""
    layers, dims = ARCHS[arch]
    names = {
        'patch_embed.proj.weight': ('downsample_layers.0.conv.weight',
                                    (dims[0], 3, 7, 7)),
        'patch_embed.proj.bias': ('downsample_layers.0.conv.bias',
                                  (dims[0], ))
    }
    for i, (depth, dim) in enumerate(zip(layers, dims)):
        if i:
            names[f'network.{2 * i - 1}.proj.weight'] = (
                f'downsample_layers.{i}.conv.weight', (dim, dims[i - 1], 3, 3))
            names[f'network.{2 * i - 1}.proj.bias'] = (
                f'downsample_layers.{i}.conv.bias', (dim, ))
        for j in range(depth):
            block = f'network.{2 * i}.{j}.'
            ours = f'stages.{i}.{j}.'
            for name in ('norm1.weight', 'norm1.bias', 'norm2.weight',
                         'norm2.bias', 'mlp.fc2.bias'):
                names[block + name] = (ours + name, (dim, ))
            for k in (1, 2):
                names[f'{block}layer_scale_{k}'] = (
                    f'{ours}layer_scale{k}.scale', (dim, ))
            names[f'{block}mlp.fc1.weight'] = (f'{ours}mlp.fc1.weight',
                                               (4 * dim, dim, 1, 1))
            names[f'{block}mlp.fc1.bias'] = (f'{ours}mlp.fc1.bias',
                                             (4 * dim, ))
            names[f'{block}mlp.fc2.weight'] = (f'{ours}mlp.fc2.weight',
                                               (dim, 4 * dim, 1, 1))
    for i in out_stages:
        for name in ('weight', 'bias'):
            names[f'norm{2 * i}.{name}'] = (f'norm{i}.{name}', (dims[i], ))
    return names


def save_official_release(state, path):
    """Saves ``state`` as the official mmdet 2.x / mmseg 0.x releases store
    it: mmcv-era meta and optimizer state beside the weights."""
    torch.save(
        dict(
            meta=dict(mmdet_version='2.19.0', CLASSES=('person', 'car')),
            state_dict=state,
            optimizer=dict(state={}, param_groups=[dict(lr=1e-4)])), path)


def assert_same_state(actual, expected):
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        assert torch.equal(actual[key], value), key


@pytest.mark.parametrize('config, out_stages', [(RETINANET, (1, 2, 3)),
                                                (FPN, (0, 1, 2, 3))])
def test_official_release_names_convert_to_ours(config, out_stages,
                                                tmp_path):
    """An official mmdet 2.x / mmseg 0.x release (the official backbone
    names, our neck and head) converts to exactly our model's names, each
    tensor where its official name says."""
    ours = build(config).state_dict()
    names = official_backbone_names('s12', out_stages)
    state = {k: torch.randn(v.shape) for k, v in ours.items()
             if not k.startswith('backbone.')}
    state.update({f'backbone.{official}': torch.randn(shape)
                  for official, (_, shape) in names.items()})
    expected = {k: v for k, v in state.items()
                if not k.startswith('backbone.')}
    expected.update({f'backbone.{mine}': state[f'backbone.{official}']
                     for official, (mine, _) in names.items()})
    assert {k: v.shape for k, v in expected.items()} == {
        k: v.shape for k, v in ours.items()}
    src, dst = tmp_path / 'official.pth', tmp_path / 'converted.pth'
    save_official_release(state, src)
    assert_ok(run_in_process('convert_checkpoint.py', src, dst))
    converted = torch.load(dst, weights_only=True)
    assert converted['meta'] == dict(converted_from=str(src))
    assert_same_state(converted['state_dict'], expected)


def test_official_release_evaluates_as_it_is(trained, tiny_config, tmp_path):
    """Our trained RetinaNet-S12 under the official backbone names."""
    src = tmp_path / 'official.pth'
    ours = load_state_dict(str(trained))
    official = {k: v for k, v in ours.items() if not k.startswith('backbone.')}
    names = official_backbone_names('s12', (1, 2, 3))
    official.update({f'backbone.{name}': ours[f'backbone.{mine}']
                     for name, (mine, _) in names.items()})
    assert len(official) == len(ours)
    save_official_release(official, src)
    result = run_in_process('test.py', tiny_config, src, '--work-dir',
                            tmp_path, '--show-dir', 'drawn')
    assert_ok(result)
    assert 'coco/bbox_mAP' in result.stdout
    assert 'missing keys' not in result.stdout + result.stderr
    drawn = sorted(p.name for p in tmp_path.glob('*/drawn/*.jpg'))
    assert drawn == ['1.jpg', '2.jpg']


def test_get_flops():
    result = run_in_process('get_flops.py', FPN, '--shape', 64)
    assert_ok(result)
    assert 'input shape: 64x64' in result.stdout
    params = sum(p.numel() for p in build(FPN).parameters())
    assert f'params: {params / 1e6:.2f}M' in result.stdout
    macs = float(result.stdout.split('MACs: ')[1].split('G')[0])
    full = float(result.stdout.split('MACs (full): ')[1].split('G')[0])
    assert 0 < macs < full


@pytest.mark.parametrize('arch, params_m, gmacs', [('s12', 11.9, 1.8),
                                                   ('m48', 73.5, 11.6)])
def test_get_flops_on_classifiers_matches_the_paper(arch, params_m, gmacs):
    config = osp.join(ROOT, 'configs', f'poolformer_{arch}_in1k.py')
    result = run_in_process('get_flops.py', config)
    assert_ok(result)
    assert 'input shape: 224x224' in result.stdout
    params = float(result.stdout.split('params: ')[1].split('M')[0])
    macs = float(result.stdout.split('MACs: ')[1].split('G')[0])
    full = float(result.stdout.split('MACs (full): ')[1].split('G')[0])
    assert params == pytest.approx(params_m, abs=0.05)
    assert macs == pytest.approx(gmacs, rel=0.01)
    assert macs < full < 1.03 * macs


def test_benchmark_compares_two_models_side_by_side():
    """--compare times mmdet's own RetinaNet-R50 (named as configs name
    their bases) beside ours and prints the ratio of their speeds."""
    r50 = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
    result = run_in_process('benchmark.py', RETINANET, '--compare', r50,
                            '--shape', 64, 96, '--iters', 2, '--warmup', 1)
    assert_ok(result)
    speeds = dict(re.findall(r'^(\S+): ([\d.]+) images/s', result.stdout,
                             re.M))
    assert set(speeds) == {RETINANET, r50}
    ratio = float(re.search(r' / \S+: ([\d.]+)x', result.stdout).group(1))
    assert ratio == pytest.approx(
        float(speeds[RETINANET]) / float(speeds[r50]), abs=0.01)


@pytest.mark.parametrize('config', [
    'retinanet_poolformer_s12_coco.py', 'mask_rcnn_poolformer_s12_coco.py',
    'fpn_poolformer_s12_ade20k_40k.py', 'user classifier'
])
def test_timed_training_steps_train_the_model(config, tmp_path):
    """What ``benchmark.py --train`` times: the config's ``train_step``,
    losses on the random ground truth of each library (boxes, masks, a
    label map, a label), backward and the optimizer's step, which moves the
    backbone's weights."""
    from mmpoolformer.analysis import compare_throughput, timed_training
    from mmpoolformer.engine import load_config
    if config == 'user classifier':
        config = tmp_path / 'poolformer_classifier.py'
        config.write_text(USER_CLASSIFIER)
    else:
        config = osp.join(CONFIGS, config)
    model, batch, optim_wrapper = timed_training(load_config(str(config)),
                                                 (64, 96), batch_size=2)
    stem = model.backbone.downsample_layers[0].conv.weight
    before = stem.detach().clone()
    speeds = compare_throughput([model], [batch], iters=1, warmup=0,
                                optim_wrappers=[optim_wrapper])
    assert speeds[0] > 0
    assert model.training
    assert not torch.equal(before, stem)


def test_benchmark_compares_training_steps_with_overrides_of_the_other():
    """--train --compare: our RetinaNet-S12 against the same detector with
    mmpretrain's PoolFormer-S12 (--compare-cfg-options), side by side."""
    result = run_in_process(
        'benchmark.py', RETINANET, '--train', '--compare', RETINANET,
        '--compare-cfg-options', 'model.backbone.type=mmpretrain.PoolFormer',
        'model.backbone.out_indices=(2,4,6)', '--shape', 64, 96, '--iters',
        2, '--warmup', 1, '--batch-size', 2)
    assert_ok(result)
    lines = re.findall(r'^\S+: [\d.]+ images/s \(64x96, batch 2, cpu, 2 '
                       r'training steps after 1 warm-up\)$', result.stdout,
                       re.M)
    assert len(lines) == 2
    assert re.search(r' / \S+: [\d.]+x$', result.stdout, re.M)
    assert 'fast inference' not in result.stdout + result.stderr


def test_benchmark_refuses_to_train_a_fused_model():
    result = run_in_process('benchmark.py', RETINANET, '--train', '--fuse')
    assert_clean_error(result, '--fuse is for inference')


def test_a_config_of_a_library_that_is_not_installed():
    result = run_in_process('benchmark.py', 'nope::retinanet.py')
    assert_clean_error(result, 'nope::retinanet.py: nope is not installed')


@pytest.mark.parametrize('flag, fused', [([], True), (['--no-fuse'], False)])
def test_benchmark_times_the_fast_path_by_default_on_cpu(flag, fused):
    result = run_in_process('benchmark.py', RETINANET, '--shape', 64, 96,
                            '--iters', 2, '--warmup', 1, *flag)
    assert_ok(result)
    assert ('fused 12 blocks in 1 PoolFormer backbone(s)' in result.stdout) \
        is fused
    assert 'images/s (64x96, batch 1, cpu' in result.stdout


def test_tools_take_mmpretrain_configs(tmp_path):
    """A user's mmpretrain classifier with our backbone, through the
    scope-generic tools."""
    config = tmp_path / 'poolformer_classifier.py'
    config.write_text(USER_CLASSIFIER)
    result = run_in_process('benchmark.py', config, '--shape', 64,
                            '--iters', 2, '--warmup', 1)
    assert_ok(result)
    assert 'images/s (64x64, batch 1, cpu' in result.stdout


def test_dry_run_accepts_new_constructor_arguments(tiny_config):
    result = run_in_process('train.py', tiny_config, '--dry-run',
                            '--cfg-options',
                            'model.backbone.drop_path_rate=0.1',
                            'optim_wrapper.clip_grad.max_norm=1',
                            'randomness.seed=0')
    assert_ok(result)
    assert 'ready to train' in result.stdout


@pytest.mark.parametrize(
    'tool', ['train.py', 'get_flops.py', 'benchmark.py', 'dist_train.sh'])
def test_missing_config(tool):
    if tool == 'dist_train.sh':
        result = run(tool, 'configs/nope.py', 2)
    else:
        result = run_in_process(tool, 'configs/nope.py')
    assert_clean_error(result, 'config file not found: configs/nope.py')


@pytest.mark.parametrize(
    'key',
    ['model.backbone.arhc', 'train_dataloader.dataset.pipeline.9.scale'])
def test_unknown_cfg_options_key(key, tiny_config):
    result = run_in_process('train.py', tiny_config, '--cfg-options',
                            f'{key}=1')
    assert_clean_error(result, f"unknown --cfg-options key '{key}'")


def test_missing_dataset_folder(trained, tmp_path):
    # The shipped configs' data/ folders relative to an empty directory.
    assert_clean_error(
        run_in_process('train.py', RETINANET, cwd=tmp_path),
        'dataset folder not found: data/coco/',
        'train_dataloader.dataset.data_root')
    assert_clean_error(
        run_in_process('test.py', FPN, trained, cwd=tmp_path),
        'dataset folder not found: data/ade/ADEChallengeData2016',
        'test_dataloader.dataset.data_root')


def test_missing_checkpoint(tiny_config, tmp_path):
    missing = tmp_path / 'missing.pth'
    assert_clean_error(
        run_in_process('test.py', tiny_config, missing),
        f'checkpoint not found: {missing}')
    assert_clean_error(
        run('dist_test.sh', tiny_config, missing, 2),
        f'checkpoint not found: {missing}')


def test_broken_checkpoint(tiny_config, tmp_path):
    broken = tmp_path / 'broken.pth'
    broken.write_bytes(b'not a checkpoint')
    assert_clean_error(run_in_process('test.py', tiny_config, broken),
                       str(broken))
    assert_clean_error(
        run_in_process('train.py', tiny_config, '--resume', broken),
        str(broken))


def test_convert_bad_sources(tmp_path):
    missing = tmp_path / 'missing.pth'
    assert_clean_error(
        run_in_process('convert_checkpoint.py', missing,
                       tmp_path / 'out.pth'),
        str(missing))
    unknown = tmp_path / 'unknown.pth'
    torch.save({'fc.weight': torch.zeros(2, 2)}, unknown)
    assert_clean_error(
        run_in_process('convert_checkpoint.py', unknown,
                       tmp_path / 'out.pth'),
        str(unknown),
        'no PoolFormer or MetaFormer Baselines weights recognised')
    assert not (tmp_path / 'out.pth').exists()
