"""The shipped COCO / ADE20K configs: they build models of the paper's sizes,
carry the paper's schedules, and train and predict (the config examples of
the docs: tests/test_docs.py)."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope

from mmpoolformer.engine import load_config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(ROOT, 'configs')
URL = ('https://github.com/sail-sg/poolformer/releases/download/v1.0/'
       'poolformer_{}.pth.tar')

# Whole-model parameters (millions) and metrics the paper reports.
PAPER = {
    'retinanet_poolformer_s12_coco.py': (21.7, 'box AP 36.2'),
    'retinanet_poolformer_s24_coco.py': (31.1, 'box AP 38.9'),
    'retinanet_poolformer_s36_coco.py': (40.6, 'box AP 39.5'),
    'mask_rcnn_poolformer_s12_coco.py': (31.6, 'box AP 37.3, mask AP 34.6'),
    'mask_rcnn_poolformer_s24_coco.py': (41.0, 'box AP 40.1, mask AP 37.0'),
    'mask_rcnn_poolformer_s36_coco.py': (50.5, 'box AP 41.0, mask AP 37.7'),
    'fpn_poolformer_s12_ade20k_40k.py': (15.7, 'mIoU 37.2'),
    'fpn_poolformer_s24_ade20k_40k.py': (23.2, 'mIoU 40.3'),
    'fpn_poolformer_s36_ade20k_40k.py': (34.6, 'mIoU 42.0'),
    'fpn_poolformer_m36_ade20k_40k.py': (59.8, 'mIoU 42.4'),
    'fpn_poolformer_m48_ade20k_40k.py': (77.1, 'mIoU 42.7'),
}
# The paper's 23.2M for Semantic FPN-S24 is a misprint: its backbone is the
# one of RetinaNet-S24 (31.1M) and Mask R-CNN-S24 (41.0M), which match, and
# FPN + head add the same 4.3M as to S12 (15.7M) and S36 (34.6M).
BUILT_PARAMS = {'fpn_poolformer_s24_ade20k_40k.py': 25.1}
# The MetaFormer Baselines' configs, of which no paper reports a result:
# their backbone and whole-model parameters (millions) as built.
BASELINES = {
    'retinanet_convformer_s18_coco.py': ('ConvFormer', 33.9),
    'retinanet_caformer_s18_coco.py': ('CAFormer', 33.5),
    'retinanet_caformer_s36_coco.py': ('CAFormer', 46.4),
    'mask_rcnn_convformer_s18_coco.py': ('ConvFormer', 43.8),
    'mask_rcnn_caformer_s18_coco.py': ('CAFormer', 43.4),
    'mask_rcnn_caformer_s36_coco.py': ('CAFormer', 56.4),
    'fpn_convformer_s18_ade20k_40k.py': ('ConvFormer', 27.9),
    'fpn_caformer_s18_ade20k_40k.py': ('CAFormer', 27.5),
    'fpn_caformer_s36_ade20k_40k.py': ('CAFormer', 40.5),
}
BASELINE_URL = 'https://huggingface.co/sail/dl/resolve/main/{}/{}_{}.pth'
# The recipes beyond the paper's heads, each an upstream config with our
# backbone (configs/_base_/recipes/): whole-model parameters (millions) as
# built, and the upstream config each inherits.
RECIPES = {
    'upernet_convformer_s18_ade20k_160k.py': 54.2,
    'upernet_convformer_s36_ade20k_160k.py': 67.4,
    'upernet_caformer_s18_ade20k_160k.py': 53.7,
    'upernet_caformer_s36_ade20k_160k.py': 66.7,
    'mask_rcnn_convformer_s18_3x_coco.py': 43.8,
    'mask_rcnn_convformer_s36_3x_coco.py': 57.1,
    'mask_rcnn_caformer_s18_3x_coco.py': 43.4,
    'mask_rcnn_caformer_s36_3x_coco.py': 56.4,
    'cascade_mask_rcnn_convformer_s18_3x_coco.py': 81.7,
    'cascade_mask_rcnn_convformer_s36_3x_coco.py': 94.9,
    'cascade_mask_rcnn_caformer_s18_3x_coco.py': 81.2,
    'cascade_mask_rcnn_caformer_s36_3x_coco.py': 94.2,
    'dino_4scale_caformer_s18_coco.py': 43.2,
    'dino_4scale_caformer_s36_coco.py': 56.2,
}
UPSTREAM = {
    'upernet': 'mmseg::convnext/'
    'convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py',
    'mask_rcnn': 'mmdet::convnext/'
    'mask-rcnn_convnext-t-p4-w7_fpn_amp-ms-crop-3x_coco.py',
    'cascade_mask_rcnn': 'mmdet::convnext/cascade-mask-rcnn_convnext-t-p4-w7_'
    'fpn_4conv1fc-giou_amp-ms-crop-3x_coco.py',
    'dino': 'mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py',
}
# Drop path of the authors' ImageNet training scripts (sail-sg/metaformer
# scripts/), which the recipes keep.
IMAGENET_DROP_PATH = {
    'convformer_s18': 0.2,
    'convformer_s36': 0.3,
    'caformer_s18': 0.15,
    'caformer_s36': 0.3,
}
# The rate each recipe's layer decay gives a stage: mmdet's and mmseg's
# ConvNeXt-T rate in the same recipe; DINO's recipe has none.
DECAY_RATES = {'upernet': 0.9, 'mask_rcnn': 0.95, 'cascade_mask_rcnn': 0.7}
DETECTION = sorted(name for name in [*PAPER, *BASELINES]
                   if name.endswith('_coco.py'))
SEGMENTATION = sorted(name for name in [*PAPER, *BASELINES]
                      if 'ade20k' in name)


def load(name):
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def arch_of(name):
    return re.search(r'former_([smb]\d+)_', name).group(1)


def backbone_of(name):
    """``'caformer_s18'`` for a config of a CAFormer-S18."""
    return re.search(r'((?:conv|ca)former_[smb]\d+)_', name).group(1)


def upstream(name):
    """The upstream config a recipe config inherits."""
    return load_config(UPSTREAM[recipe_of(name)])


def recipe_of(name):
    """The key of :data:`UPSTREAM` of a recipe config."""
    return next(key for key in sorted(UPSTREAM, key=len, reverse=True)
                if name.startswith(key))


def build(cfg):
    """Builds ``cfg.model`` without downloading the ImageNet weights."""
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return MODELS.build(cfg.model)


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def test_every_config_is_covered():
    shipped = sorted(
        osp.basename(path) for pattern in ('*_coco.py', '*_ade20k_*.py')
        for path in glob.glob(osp.join(CONFIG_DIR, pattern)))
    assert shipped == sorted([*PAPER, *BASELINES, *RECIPES])
    assert (len(DETECTION), len(SEGMENTATION), len(RECIPES)) == (12, 8, 14)


@pytest.mark.parametrize('name', sorted(PAPER))
def test_header_states_the_paper_result(name):
    with open(osp.join(CONFIG_DIR, name)) as f:
        comments = f.read().split('_base_')[0].splitlines()
    header = ' '.join(line.lstrip('# ') for line in comments)
    params, metric = PAPER[name]
    assert f'{params}M params, {metric}' in header


@pytest.mark.parametrize('name', sorted(PAPER))
def test_params_match_the_paper(name):
    cfg = load(name)
    assert cfg.model.backbone.type == 'mmpoolformer.PoolFormer'
    assert cfg.model.backbone.arch == arch_of(name)
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint=URL.format(arch_of(name)))
    millions = num_params(build(cfg)) / 1e6
    expected = BUILT_PARAMS.get(name, PAPER[name][0])
    # The paper rounds to 0.1M.
    assert millions == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize('name', sorted(BASELINES))
def test_baseline_configs_build_with_the_official_weights(name):
    cfg = load(name)
    family, params = BASELINES[name]
    backbone = cfg.model.backbone
    assert backbone.type == f'mmpoolformer.{family}'
    assert backbone.arch == arch_of(name)
    # About two thirds of the ImageNet rate (mask_rcnn_caformer_s18_coco.py).
    assert backbone.drop_path_rate == (0.2 if arch_of(name) == 's36' else 0.1)
    assert backbone.init_cfg == dict(
        type='Pretrained',
        checkpoint=BASELINE_URL.format(family.lower(), family.lower(),
                                       arch_of(name)))
    model = build(cfg)
    assert type(model.backbone).__name__ == family
    assert num_params(model) / 1e6 == pytest.approx(params, abs=0.05)


def without_scope(value):
    """``value`` without the ``_scope_`` keys that mmengine adds to the
    dicts of a base it loads from another package (``mmdet::``)."""
    if isinstance(value, dict):
        return {k: without_scope(v) for k, v in value.items()
                if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(without_scope(v) for v in value)
    return value


def flatten(value, prefix=''):
    """{dotted key: leaf} of a config's nested dicts (lists as leaves)."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for key, item in value.items():
        flat.update(flatten(item, f'{prefix}{key}.'))
    return flat


# What a recipe config may change of the upstream config it inherits
# (``backbone.``: the variable of the _base_/models/ fragment).
OURS = ('backbone.', 'custom_imports.', 'model.backbone.', 'model.neck.in_channels.',
        'model.decode_head.in_channels.', 'model.auxiliary_head.in_channels.',
        'optim_wrapper.', 'auto_scale_lr.')


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipes_are_the_upstream_configs_with_our_backbone(name):
    """Everything but the backbone, the widths it feeds, the imports and
    the optimizer is the upstream config's; the backbone is the official
    ImageNet model at its ImageNet drop path, the model of the expected
    size."""
    cfg = load(name)
    ours = flatten(without_scope(cfg.to_dict()))
    theirs = flatten(without_scope(upstream(name).to_dict()))
    changed = sorted(key for key in set(ours) | set(theirs)
                     if ours.get(key, '-') != theirs.get(key, '-'))
    assert changed and all(key.startswith(OURS) for key in changed), changed
    assert cfg.custom_imports.imports == ['mmpoolformer']

    family = backbone_of(name).split('_')[0]
    backbone = cfg.model.backbone
    assert backbone.type == ('mmpoolformer.ConvFormer' if family ==
                             'convformer' else 'mmpoolformer.CAFormer')
    assert backbone.arch == arch_of(name)
    assert backbone.drop_path_rate == IMAGENET_DROP_PATH[backbone_of(name)]
    assert backbone.init_cfg == dict(
        type='Pretrained',
        checkpoint=BASELINE_URL.format(family, family, arch_of(name)))
    if recipe_of(name) == 'dino':
        assert backbone.out_indices == (1, 2, 3)
        assert cfg.model.neck.in_channels == [128, 320, 512]
    model = build(cfg)
    assert num_params(model) / 1e6 == pytest.approx(RECIPES[name], abs=0.05)


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipes_optimizer_decays_by_stage(name):
    """The upstream optimizer (AdamW, its rate and weight decay); where the
    upstream recipe decays the rate by layer, ours does by stage at its
    rate: the stem learns at rate ** 5 of the head, stage i at
    rate ** (4 - i); fp32 (the upstream AMP wrapper needs a GPU)."""
    from mmengine.optim import build_optim_wrapper
    cfg = load(name)
    theirs = upstream(name).optim_wrapper
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == (
        'AdamW', theirs.optimizer.lr, theirs.optimizer.weight_decay)
    model = build(cfg)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper).__name__ == 'OptimWrapper'
    lrs = {id(p): group['lr'] for group in wrapper.optimizer.param_groups
           for p in group['params']}
    stem = model.backbone.downsample_layers[0].conv.weight
    head = next(p for n, p in model.named_parameters()
                if not n.startswith('backbone.'))
    last = model.backbone.stages[-1][0].mlp.fc1.weight
    if recipe_of(name) == 'dino':
        assert cfg.optim_wrapper.paramwise_cfg == theirs.paramwise_cfg
        assert lrs[id(stem)] == pytest.approx(optimizer.lr * 0.1)
        assert lrs[id(head)] == pytest.approx(optimizer.lr)
        return
    rate = DECAY_RATES[recipe_of(name)]
    assert theirs.paramwise_cfg.decay_rate == rate
    assert cfg.optim_wrapper.constructor == \
        'mmpoolformer.LayerDecayOptimWrapperConstructor'
    assert lrs[id(head)] == pytest.approx(optimizer.lr)
    assert lrs[id(last)] == pytest.approx(optimizer.lr * rate)
    assert lrs[id(stem)] == pytest.approx(optimizer.lr * rate**5)


@pytest.mark.parametrize('name', DETECTION)
def test_coco_1x_schedule(name):
    cfg = load(name)
    assert cfg.default_scope == 'mmdet'
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr.base_batch_size == 16
    optimizer = cfg.optim_wrapper.optimizer
    lr = 1e-4 if name.startswith('retinanet') else 2e-4
    assert optimizer == dict(type='AdamW', lr=lr, weight_decay=1e-4)
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.by_epoch, warmup.begin,
            warmup.end) == ('LinearLR', 0.001, False, 0, 500)
    assert (steps.type, steps.milestones, steps.gamma,
            steps.by_epoch) == ('MultiStepLR', [8, 11], 0.1, True)
    transforms = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert transforms['Resize'].scale == (1333, 800)
    assert transforms['Resize'].keep_ratio
    assert transforms['RandomFlip'].prob == 0.5
    assert cfg.model.neck.out_channels == 256
    assert cfg.model.neck.num_outs == 5


@pytest.mark.parametrize('name', DETECTION)
def test_coco_heads(name):
    cfg = load(name)
    backbone, neck = cfg.model.backbone, cfg.model.neck
    if name.startswith('retinanet'):
        # The FPN starts at stride 8: stage 0 has no output to leave unused.
        assert backbone.out_indices == (1, 2, 3)
        assert neck.in_channels == [128, 320, 512]
        assert (neck.start_level, neck.add_extra_convs) == (0, 'on_input')
        assert cfg.val_evaluator.metric == 'bbox'
    else:
        assert backbone.out_indices == (0, 1, 2, 3)
        assert neck.in_channels == [64, 128, 320, 512]
        assert cfg.val_evaluator.metric == ['bbox', 'segm']
    assert 'find_unused_parameters' not in cfg


@pytest.mark.parametrize('name', SEGMENTATION)
def test_ade20k_40k_schedule(name):
    cfg = load(name)
    assert cfg.default_scope == 'mmseg'
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (40000,
                                                                     4000)
    assert cfg.default_hooks.checkpoint.interval == 4000
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.auto_scale_lr.base_batch_size == 32
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW', lr=2e-4, weight_decay=1e-4)
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.eta_min, poly.end,
            poly.by_epoch) == ('PolyLR', 0.9, 0., 40000, False)

    train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert train['RandomResize'].scale == (2048, 512)
    assert train['RandomResize'].ratio_range == (0.5, 2.0)
    assert train['RandomCrop'].crop_size == (512, 512)
    assert train['RandomCrop'].cat_max_ratio == 0.75
    assert train['RandomFlip'].prob == 0.5
    assert 'PhotoMetricDistortion' in train
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        types = [t.type for t in loader.dataset.pipeline]
        resize = types.index('Resize')
        assert types[resize + 1] == 'ResizeToMultiple'
        assert loader.dataset.pipeline[resize].scale == (2048, 512)
        assert loader.dataset.pipeline[resize].keep_ratio
        assert loader.dataset.pipeline[resize + 1].size_divisor == 32

    channels = [96, 192, 384, 768] if arch_of(name).startswith('m') \
        else [64, 128, 320, 512]
    assert cfg.model.neck.in_channels == channels
    assert (cfg.model.neck.out_channels, cfg.model.neck.num_outs) == (256, 4)
    head = cfg.model.decode_head
    assert (head.type, head.channels, head.num_classes) == ('FPNHead', 128,
                                                            150)


def det_batch(with_mask):
    """Two 64x96 images with two boxes (and masks) each, as PackDetInputs
    leaves them."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(64, 96), ori_shape=(64, 96), scale_factor=(1., 1.)))
        boxes = torch.tensor([[8., 8., 40., 48.], [50., 10., 90., 60.]])
        instances = InstanceData(bboxes=boxes, labels=torch.tensor([1, 3]))
        if with_mask:
            masks = torch.zeros(2, 64, 96, dtype=torch.uint8)
            for mask, (x1, y1, x2, y2) in zip(masks, boxes.int().tolist()):
                mask[y1:y2, x1:x2] = 1
            instances.masks = BitmapMasks(masks.numpy(), 64, 96)
        sample.gt_instances = instances
        samples.append(sample)
    inputs = [
        torch.randint(
            0, 256, (3, 64, 96), generator=generator, dtype=torch.uint8)
        for _ in samples
    ]
    return dict(inputs=inputs, data_samples=samples)


def seg_batch():
    """Two 64x96 images with label maps of 150 classes."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(
                img_shape=(64, 96), ori_shape=(64, 96), pad_shape=(64, 96)))
        labels = torch.randint(0, 150, (1, 64, 96), generator=generator)
        sample.gt_sem_seg = PixelData(data=labels)
        samples.append(sample)
    inputs = [
        torch.randint(
            0, 256, (3, 64, 96), generator=generator, dtype=torch.uint8)
        for _ in samples
    ]
    return dict(inputs=inputs, data_samples=samples)


# Every MetaFormer Baselines config trains a step: none has a published
# result to be checked against.
@pytest.mark.parametrize('name', [
    'retinanet_poolformer_s12_coco.py', 'mask_rcnn_poolformer_s12_coco.py',
    'fpn_poolformer_s12_ade20k_40k.py', *sorted(BASELINES), *sorted(RECIPES)
])
def test_loss_backward_predict(name):
    cfg = load(name)
    if cfg.default_scope == 'mmseg':
        # A 64x96 crop size: the 512x512 padding would only slow this down.
        cfg.model.data_preprocessor.size = (64, 96)
        batch = seg_batch()
    else:
        batch = det_batch(with_mask='mask_rcnn' in name)
    if 'mask_rcnn' in name:
        # Fewer proposals and RoIs than on COCO images keep this fast.
        train_cfg = cfg.model.train_cfg
        train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
        for stage in (train_cfg.rcnn if isinstance(train_cfg.rcnn, list)
                      else [train_cfg.rcnn]):
            stage.sampler.num = 64
        cfg.model.test_cfg.rpn.update(nms_pre=200, max_per_img=100)
    if name.startswith('dino'):
        # DINO picks its 900 queries among the encoder's positions, of
        # which a 64x96 image has 128.
        cfg.model.num_queries = 100
    torch.manual_seed(0)
    model = build(cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(batch, True)
    loss, log_vars = model.parse_losses(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()
    # Every parameter takes part: DDP runs without find_unused_parameters.
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert unused == []

    model.eval()
    with torch.no_grad():
        (result, _) = model.test_step(batch)
    if cfg.default_scope == 'mmseg':
        assert result.pred_sem_seg.data.shape == (1, 64, 96)
    else:
        instances = result.pred_instances
        assert instances.bboxes.shape[1] == 4
        assert len(instances.scores) == len(instances.labels)
        if 'mask_rcnn' in name:
            assert instances.masks.shape[1:] == (64, 96)


IN1K = [f'poolformer_{arch}_in1k.py' for arch in ('s12', 's24', 's36', 'm36',
                                                   'm48')]


def lr_by_epoch(cfg, epoch_length):
    """The learning rate of every iteration of ``cfg``'s ``max_epochs``, one
    list an epoch of ``epoch_length`` iterations, with the schedulers built
    and stepped after each iteration as mmengine's Runner does."""
    from mmengine.registry import PARAM_SCHEDULERS
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))],
                                  lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [
        PARAM_SCHEDULERS.build(
            scheduler,
            default_args=dict(optimizer=optimizer, epoch_length=epoch_length))
        for scheduler in cfg.param_scheduler
    ]
    assert not any(scheduler.by_epoch for scheduler in schedulers)
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        lrs.append([])
        for _ in range(epoch_length):
            lrs[-1].append(optimizer.param_groups[0]['lr'])
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
    return lrs


@pytest.mark.parametrize('name', IN1K)
def test_imagenet_schedule_is_timms_with_its_cooldown(name):
    """timm's cosine schedule as the official training ran it: warm-up from
    warmup_lr 1e-6 over 5 epochs, cosine decay to min_lr 1e-5 at epoch 300,
    then cooldown_epochs=10 at min_lr: 310 epochs are trained."""
    cfg = load(name)
    assert cfg.train_cfg.by_epoch and cfg.train_cfg.max_epochs == 310
    lrs = lr_by_epoch(cfg, epoch_length=20)
    assert len(lrs) == 310
    assert lrs[0][0] == pytest.approx(1e-6)
    assert lrs[5][0] == pytest.approx(4e-3)
    # timm's rate at epoch 299 is 1.011e-5.
    assert lrs[299][0] == pytest.approx(1e-5, rel=0.02)
    # The rate keeps the cosine's last value, above 1e-5 by
    # (1 - cos(pi / T)) / 2 of its range, T its iterations: 3e-5 relative at
    # 20 iterations an epoch, 1e-7 at ImageNet's 313.
    cooldown = [lr for epoch in lrs[300:] for lr in epoch]
    assert cooldown == pytest.approx([1e-5] * 10 * 20, rel=1e-4)
    decay = [lr for epoch in lrs[5:] for lr in epoch]
    assert all(a >= b for a, b in zip(decay, decay[1:]))
