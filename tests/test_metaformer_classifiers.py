"""ImageNet-1k classifier configs of the MetaFormer Baselines (PoolFormerV2,
ConvFormer, CAFormer): the official recipe, timm's schedule, the official
classifier (timm's logits from the same weights, official or timm layout),
a training step, and tools/test.py on a bare official checkpoint; the
backbone config of docs/metaformer_baselines.md."""
import re
from pathlib import Path

import pytest
import torch
from conftest import build_classifier
from metaformer_references import official_layout, random_timm_model
from mmengine.config import Config
from test_configs import lr_by_epoch
from tool_runs import assert_ok, make_demo_data, run_in_process

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
URL = 'https://huggingface.co/sail/dl/resolve/main/{}/{}.pth'
# The official recipe of each model (sail-sg/metaformer's
# scripts/*/train_*.sh): top-1 of the README, drop path, MLP head (ratio
# or None), head dropout, optimizer, learning rate at batch 4096, warm-up
# epochs.
RECIPES = {
    'poolformerv2_s12': (78.0, 0.1, None, 0., 'AdamW', 4e-3, 5),
    'poolformerv2_s24': (80.7, 0.1, None, 0., 'AdamW', 4e-3, 5),
    'poolformerv2_s36': (81.6, 0.2, None, 0., 'AdamW', 4e-3, 5),
    'poolformerv2_m36': (82.2, 0.3, None, 0., 'AdamW', 4e-3, 5),
    'poolformerv2_m48': (82.6, 0.4, None, 0., 'AdamW', 4e-3, 5),
    'convformer_s18': (83.0, 0.2, 4, 0., 'AdamW', 4e-3, 20),
    'convformer_s36': (84.1, 0.3, 4, 0., 'AdamW', 4e-3, 20),
    'convformer_m36': (84.5, 0.4, 4, 0., 'AdamW', 4e-3, 20),
    'convformer_b36': (84.8, 0.6, 4, 0., 'AdamW', 4e-3, 20),
    'caformer_s18': (83.6, 0.15, 4, 0., 'Lamb', 8e-3, 20),
    'caformer_s36': (84.5, 0.3, 4, 0.4, 'Lamb', 8e-3, 20),
    'caformer_m36': (85.2, 0.4, 4, 0.4, 'Lamb', 8e-3, 20),
    'caformer_b36': (85.5, 0.6, 4, 0.5, 'Lamb', 8e-3, 20),
}
FAMILIES = {'poolformerv2': 'PoolFormerV2', 'convformer': 'ConvFormer',
            'caformer': 'CAFormer'}
# The smallest model of each family, as (timm's family name, arch).
SMALLEST = [('PoolFormerV2', 's12'), ('ConvFormer', 's18'),
            ('CAFormer', 's18')]


def load(name):
    return Config.fromfile(str(CONFIGS / f'{name}_in1k.py'))


def family_of(name):
    return name.split('_')[0]


def test_every_config_is_there():
    shipped = sorted(
        path.name[:-len('_in1k.py')] for family in FAMILIES
        for path in CONFIGS.glob(f'{family}_*_in1k.py'))
    assert shipped == sorted(RECIPES)
    assert len(shipped) == 13


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_config_has_the_official_recipe(name):
    top1, drop_path, mlp_ratio, head_dropout, optimizer, lr, warmup = \
        RECIPES[name]
    family, arch = name.split('_')
    text = (CONFIGS / f'{name}_in1k.py').read_text()
    assert f'top-1 {top1}' in text
    assert URL.format(family, name) in text
    cfg = load(name)
    assert 'mmpoolformer.models.heads' in cfg.custom_imports.imports

    backbone, head = cfg.model.backbone, cfg.model.head
    assert backbone.type == f'mmpoolformer.{FAMILIES[family]}'
    assert (backbone.arch, backbone.out_indices) == (arch, (3, ))
    # The official classifier pools first, then norms: no output norm.
    assert backbone.out_norm_cfg is None
    assert backbone.drop_path_rate == drop_path
    assert cfg.model.neck.type == 'GlobalAveragePooling'
    assert head.type == 'mmpoolformer.MetaFormerClsHead'
    assert head.get('mlp_ratio') == mlp_ratio
    assert head.get('head_dropout', 0.) == head_dropout
    assert head.loss.label_smooth_val == 0.1
    augments = {a.type: a.alpha for a in cfg.model.train_cfg.augments}
    assert augments == {'Mixup': 0.8, 'CutMix': 1.0}

    assert cfg.optim_wrapper.optimizer.type == optimizer
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.05
    # timm decays no 1-D parameter (norms, scales, biases).
    assert cfg.optim_wrapper.paramwise_cfg.flat_decay_mult == 0.
    assert cfg.auto_scale_lr.base_batch_size == 4096
    assert cfg.train_dataloader.batch_size == 128
    warmup_scheduler, cosine = cfg.param_scheduler
    assert warmup_scheduler.start_factor * lr == pytest.approx(1e-6)
    assert warmup_scheduler.end == warmup
    assert (cosine.begin, cosine.end, cosine.eta_min) == (0, 300, 1e-5)
    assert cfg.train_cfg.max_epochs == 310

    # The official test crop ratio 1.0.
    resize, crop = cfg.test_dataloader.dataset.pipeline[1:3]
    assert (resize.type, resize.scale, resize.interpolation) == (
        'ResizeEdge', 224, 'bicubic')
    assert crop.crop_size == 224
    steps = {s.type: s for s in cfg.train_dataloader.dataset.pipeline}
    assert steps['RandAugment'].magnitude_level == 9
    assert steps['RandomErasing'].erase_prob == 0.25


@pytest.mark.parametrize('name', ['poolformerv2_s12', 'caformer_s18'])
def test_schedule_is_timms(name):
    """The rate at each epoch's start is that of timm's cosine scheduler
    as the official train.py creates it (warmup_prefix False: the cosine
    spans epochs 0-300 under the warm-up), then its 10 cooldown epochs."""
    from timm.scheduler import CosineLRScheduler
    cfg = load(name)
    lr, warmup = RECIPES[name][5:]
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    timm_scheduler = CosineLRScheduler(
        optimizer, t_initial=300, lr_min=1e-5, warmup_t=warmup,
        warmup_lr_init=1e-6, cycle_limit=1, t_in_epochs=True)
    expected = []
    for epoch in range(310):
        timm_scheduler.step(epoch)
        expected.append(optimizer.param_groups[0]['lr'])
    lrs = [epoch[0] for epoch in lr_by_epoch(cfg, epoch_length=20)]
    assert lrs[:warmup] == pytest.approx(expected[:warmup], rel=0.011)
    assert lrs[warmup:] == pytest.approx(expected[warmup:], rel=1e-4)


@pytest.mark.parametrize('family,arch', SMALLEST)
def test_logits_equal_timms_from_both_layouts(family, arch):
    """A timm classifier's weights, in timm's and the official layout,
    converted as tools/test.py converts a bare checkpoint, load strictly
    and give timm's logits (float64)."""
    from mmpoolformer.checkpoint import convert_state_dict, foreign_layout
    reference = random_timm_model(family, arch, seed=1).double()
    if family != 'PoolFormerV2':
        # The official MLP head's LayerNorm has nn.LayerNorm's eps, 1e-5;
        # timm's port has 1e-6.
        reference.head.fc.norm.eps = 1e-5
    timm_state = reference.state_dict()
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    with torch.no_grad():
        expected = reference(x)
    classifier = build_classifier(load(f'{family.lower()}_{arch}'))
    classifier.double().eval()
    for layout, state in [('timm', timm_state),
                          ('official', official_layout(reference))]:
        assert foreign_layout(state) == f'MetaFormer Baselines {layout}'
        converted = convert_state_dict(state)
        # The converted checkpoint has our names: it loads by name.
        assert foreign_layout(converted) is None
        classifier.load_state_dict(converted, strict=True)
        with torch.no_grad():
            logits = classifier(x, mode='tensor')
        assert logits.shape == (2, 1000)
        error = (logits - expected).abs().max() / expected.abs().max()
        assert error < 1e-10, f'{layout}: relative error {error:.1e}'


@pytest.mark.parametrize('name', ['poolformerv2_s12', 'convformer_s18',
                                  'caformer_s18'])
def test_training_step_updates_every_parameter(name):
    """One step of the config's optimizer (LAMB for CAFormer) with its
    Mixup/CutMix and label smoothing: a finite loss, every parameter
    changed (each one gets a gradient)."""
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample
    cfg = load(name)
    torch.manual_seed(0)
    classifier = build_classifier(cfg)
    classifier.init_weights()
    generator = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8,
                          generator=generator) for _ in range(2)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in (1, 7)])
    optim_wrapper = build_optim_wrapper(classifier, cfg.optim_wrapper)
    assert type(optim_wrapper.optimizer).__name__ == RECIPES[name][4]
    before = {n: p.detach().clone()
              for n, p in classifier.named_parameters()}
    classifier.train()
    losses = classifier.train_step(data, optim_wrapper)
    assert torch.isfinite(losses['loss'])
    unchanged = [n for n, p in classifier.named_parameters()
                 if torch.equal(before[n], p)]
    assert unchanged == []


def test_head_arguments_are_checked():
    from mmpoolformer.models.heads import MetaFormerClsHead
    with pytest.raises(ValueError, match='head_dropout needs the MLP'):
        MetaFormerClsHead(10, 64, head_dropout=0.4)
    with pytest.raises(ValueError, match='head_dropout'):
        MetaFormerClsHead(10, 64, mlp_ratio=4, head_dropout=1.)
    with pytest.raises(ValueError, match='at least one hidden channel'):
        MetaFormerClsHead(10, 64, mlp_ratio=0.01)
    with pytest.raises(TypeError, match='num_classes'):
        MetaFormerClsHead(10.5, 64)
    head = MetaFormerClsHead(10, 64, mlp_ratio=4, head_dropout=0.4)
    assert head.fc.fc1.out_features == 256
    assert head.fc.head_dropout.p == 0.4


DEMO_CAFORMER = """
_base_ = '{demo}'
custom_imports = dict(
    imports=['mmpoolformer', 'mmpoolformer.models.heads'],
    allow_failed_imports=False)
model = dict(
    backbone=dict(_delete_=True, type='mmpoolformer.CAFormer', arch='s18',
                  out_indices=(3, ), out_norm_cfg=None),
    head=dict(type='mmpoolformer.MetaFormerClsHead', mlp_ratio=4))
"""


def test_tools_test_evaluates_a_bare_official_checkpoint(tmp_path):
    """The official CAFormer .pth layout (``downsample_layers``,
    ``stages``, ``norm``, ``head.fc1``...) is converted by tools/test.py's
    runner, which says so, and evaluates with no key missing."""
    make_demo_data(tmp_path, num_train=2, num_val=6, img_size=64)
    config = tmp_path / 'caformer_s18_demo_cls.py'
    config.write_text(DEMO_CAFORMER.format(
        demo=CONFIGS / 'demo' / 'poolformer_s12_demo_cls.py'))
    reference = random_timm_model('CAFormer', 's18', seed=2)
    reference.reset_classifier(3)
    state = official_layout(reference)
    path = tmp_path / 'caformer_s18.pth'
    torch.save(state, path)
    result = run_in_process('test.py', config, path, '--work-dir',
                            tmp_path / 'work', cwd=tmp_path)
    assert_ok(result)
    output = result.stdout + result.stderr
    assert 'MetaFormer Baselines official layout: loading ' \
        f'{len(state)} tensors' in output
    assert list((tmp_path / 'work').rglob('*.pth')) == []
    assert 'accuracy/top1' in result.stdout
    assert 'missing keys' not in output and 'unexpected key' not in output


def test_user_config_in_the_docs_builds(tmp_path):
    doc = (CONFIGS.parent / 'docs' / 'metaformer_baselines.md').read_text()
    (block, ) = re.findall(r'```python\n(.*?)```', doc, re.S)
    path = tmp_path / 'user_config.py'
    path.write_text(block)
    cfg = Config.fromfile(str(path))
    cfg.model.backbone.init_cfg = None  # no download
    from mmpoolformer.analysis import build_model
    detector = build_model(cfg)
    assert type(detector.backbone).__name__ == 'CAFormer'
    with torch.no_grad():
        features = detector.extract_feat(torch.rand(1, 3, 64, 96))
    assert [f.shape[1] for f in features] == [256] * 5
