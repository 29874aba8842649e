"""ImageNet-1k classifier configs: recipe, size, and exact evaluation of the
official weights."""
from pathlib import Path

import pytest
import torch
from conftest import (ARCHS, assert_official_init, build_classifier,
                      mmpretrain_poolformer, official_classification)
from mmengine.config import Config

from mmpoolformer import PoolFormer
from tool_runs import make_demo_data

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
PAPER = {  # top-1, params (M)
    's12': (77.2, 11.9), 's24': (80.3, 21.4), 's36': (81.4, 30.9),
    'm36': (82.1, 56.2), 'm48': (82.5, 73.5)
}
DROP_PATH = {'s12': 0.1, 's24': 0.1, 's36': 0.2, 'm36': 0.3, 'm48': 0.4}


def load(arch):
    return Config.fromfile(str(CONFIGS / f'poolformer_{arch}_in1k.py'))


@pytest.mark.parametrize('arch', ARCHS)
def test_config_recipe_and_header(arch):
    cfg = load(arch)
    text = (CONFIGS / f'poolformer_{arch}_in1k.py').read_text()
    assert f'top-1 {PAPER[arch][0]}' in text
    backbone = cfg.model.backbone
    assert backbone.type == 'mmpoolformer.PoolFormer'
    assert backbone.arch == arch and backbone.out_indices == (3, )
    assert backbone.drop_path_rate == DROP_PATH[arch]
    assert cfg.train_cfg.max_epochs == 310  # 10 cooldown epochs
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.lr == 4e-3
    assert optimizer.weight_decay == 0.05
    assert cfg.auto_scale_lr.base_batch_size == 4096
    assert cfg.train_dataloader.batch_size == 128
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == 5
    assert cosine.type == 'CosineAnnealingLR'
    assert (cosine.begin, cosine.end) == (5, 300)
    assert cfg.model.head.loss.label_smooth_val == 0.1
    # The official classifier's init: trunc normal, std 0.02, bias 0.
    assert cfg.model.head.init_cfg == dict(
        type='TruncNormal', layer='Linear', std=.02, bias=0.)
    augments = {a.type: a.alpha for a in cfg.model.train_cfg.augments}
    assert augments == {'Mixup': 0.8, 'CutMix': 1.0}
    steps = {s.type: s for s in cfg.train_dataloader.dataset.pipeline}
    rand_augment = steps['RandAugment']
    assert (rand_augment.magnitude_level, rand_augment.magnitude_std,
            rand_augment.policies) == (9, 0.5, 'timm_increasing')
    assert steps['RandomErasing'].erase_prob == 0.25
    resize = cfg.test_dataloader.dataset.pipeline[1]
    crop_ratio = 0.9 if arch.startswith('s') else 0.95
    assert resize.scale == int(224 / crop_ratio)
    assert resize.interpolation == 'bicubic'


@pytest.mark.parametrize('arch', ARCHS)
def test_logits_equal_official_weights_in_mmpretrain(arch, tmp_path):
    """An official .pth.tar, converted as tools/convert_checkpoint.py and
    tools/test.py do, loads strictly and gives the logits of mmpretrain's
    PoolFormer + head with those weights."""
    from mmpoolformer.checkpoint import convert_state_dict, load_state_dict
    reference = mmpretrain_poolformer(arch, seed=3)
    channels = PoolFormer.arch_settings[arch]['embed_dims'][-1]
    head = torch.nn.Linear(channels, 1000)
    state = official_classification(reference, head)
    path = tmp_path / f'poolformer_{arch}.pth.tar'
    torch.save(state, path)

    classifier = build_classifier(load(arch))
    classifier.load_state_dict(
        convert_state_dict(load_state_dict(str(path))), strict=True)
    classifier.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = head(reference(x)[-1].mean((2, 3)))
        logits = classifier(x, mode='tensor')
    assert logits.shape == (2, 1000)
    assert (logits - expected).abs().max().item() < 1e-4


def test_timm_checkpoint_converts_with_its_classifier_head():
    """A bare timm checkpoint becomes a whole classifier, head included, that
    loads strictly. (timm's PoolFormer v1 pools before its final norm, the
    official code after it, so their logits differ; the head's weights are
    what must come through.)"""
    import timm

    from mmpoolformer.checkpoint import convert_state_dict
    reference = timm.create_model('poolformer_s12', pretrained=False)
    torch.manual_seed(5)
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    reference.eval()
    converted = convert_state_dict(reference.state_dict())
    assert torch.equal(converted['head.fc.weight'],
                       reference.state_dict()['head.fc.weight'])
    assert torch.equal(converted['head.fc.bias'],
                       reference.state_dict()['head.fc.bias'])
    classifier = build_classifier(load('s12'))
    classifier.load_state_dict(converted, strict=True)
    classifier.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        features = classifier.extract_feat(x)[-1]
        expected = reference.head.fc(features)
        assert (classifier(x, mode='tensor') - expected).abs().max() < 1e-5


def test_classifier_from_scratch_starts_as_the_official_one():
    """The backbone's MLPs and the linear classifier: trunc normal, std
    0.02, bias 0 (the official ``Mlp`` and ``cls_init_weights``)."""
    from mmpoolformer.models.layers import PointwiseConv2d
    torch.manual_seed(0)
    classifier = build_classifier(load('s12'))
    classifier.init_weights()
    mlps = [m for m in classifier.backbone.modules()
            if isinstance(m, PointwiseConv2d)]
    assert_official_init([m.weight for m in mlps])
    assert all(torch.all(m.bias == 0) for m in mlps)
    assert_official_init([classifier.head.fc.weight])
    assert torch.all(classifier.head.fc.bias == 0)


@pytest.mark.parametrize('arch', ARCHS)
def test_classifier_params_match_paper(arch):
    classifier = build_classifier(load(arch))
    params = sum(p.numel() for p in classifier.parameters()) / 1e6
    assert params == pytest.approx(PAPER[arch][1], abs=0.05)


ABLATIONS = sorted((CONFIGS / 'ablations').glob('*_in1k.py'))


def test_ablation_configs_are_all_there():
    names = {p.stem for p in ABLATIONS}
    assert names == {
        'poolformer_s12_pool5_in1k', 'poolformer_s12_pool7_in1k',
        'poolformer_s12_pool9_in1k', 'poolformer_s12_layernorm_in1k',
        'poolformer_s12_batchnorm_in1k', 'poolformer_s12_relu_in1k',
        'poolformer_s12_silu_in1k', 'metaformer_id_s12_in1k',
        'metaformer_pppa_s12_in1k', 'metaformer_ppaa_s12_in1k',
        'metaformer_pppf_s12_in1k', 'metaformer_ppff_s12_in1k'
    }


@pytest.mark.parametrize('path', ABLATIONS, ids=lambda p: p.stem)
def test_ablation_config_trains_a_step(path):
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample
    cfg = Config.fromfile(str(path))
    classifier = build_classifier(cfg)
    classifier.init_weights()
    # A spatial MLP takes its img_size only; position embeddings resize.
    mixers = str(cfg.model.backbone.get('token_mixer'))
    size = 224 if 'spatial_mlp' in mixers else 64
    generator = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, size, size), dtype=torch.uint8,
                          generator=generator) for _ in range(2)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in (1, 7)])
    optim_wrapper = build_optim_wrapper(classifier, cfg.optim_wrapper)
    before = classifier.head.fc.weight.detach().clone()
    classifier.train()
    losses = classifier.train_step(data, optim_wrapper)
    assert torch.isfinite(losses['loss'])
    assert not torch.equal(before, classifier.head.fc.weight)


def test_demo_classifier_trains_and_tests_through_the_tools(tmp_path):
    """tools/train.py and tools/test.py (in the test process) on the
    ImageFolder split of the demo data, unchanged: a real (two-iteration)
    round trip."""
    from tool_runs import output_of
    make_demo_data(tmp_path, num_train=8, num_val=6, img_size=64)
    config = str(CONFIGS / 'demo' / 'poolformer_s12_demo_cls.py')

    work_dir = tmp_path / 'work_dir'
    output_of('train.py', config, '--work-dir', work_dir, '--cfg-options',
              'train_cfg.max_iters=2', 'train_dataloader.batch_size=4',
              cwd=tmp_path)
    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    output = output_of('test.py', config, checkpoint, '--work-dir',
                       work_dir, cwd=tmp_path)
    metrics = [line for line in output.splitlines() if '(test)' in line]
    assert any('accuracy/top1: ' in line for line in metrics), output[-3000:]


def test_tools_test_evaluates_a_bare_official_checkpoint(tmp_path):
    """The official .pth.tar layout (``network.*``, ``norm``, ``head``) is
    converted in memory by tools/test.py's runner, which says so, and then
    evaluates; no converted file is written."""
    from tool_runs import assert_ok, run_in_process
    make_demo_data(tmp_path, num_train=2, num_val=6, img_size=64)
    reference = mmpretrain_poolformer('s12', seed=4)
    state = official_classification(reference, torch.nn.Linear(512, 3))
    path = tmp_path / 'poolformer_s12.pth.tar'
    torch.save(state, path)
    result = run_in_process(
        'test.py', CONFIGS / 'demo' / 'poolformer_s12_demo_cls.py', path,
        '--work-dir', tmp_path / 'work', cwd=tmp_path)
    assert_ok(result)
    assert f'has weights in the network layout: loading {len(state)} ' \
        "tensors under the model's names" in result.stdout + result.stderr
    assert list((tmp_path / 'work').rglob('*.pth')) == []
    assert 'accuracy/top1' in result.stdout
    assert 'missing keys' not in result.stdout + result.stderr


def test_missing_image_folder_is_one_clear_line(tmp_path):
    import subprocess
    import sys
    (tmp_path / 'data' / 'demo' / 'cls').mkdir(parents=True)
    root = CONFIGS.parent
    proc = subprocess.run([
        sys.executable, str(root / 'tools' / 'train.py'),
        str(CONFIGS / 'demo' / 'poolformer_s12_demo_cls.py'), '--dry-run'
    ], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines()
              if line.startswith('error:')]
    assert errors == [
        'error: dataset folder not found: data/demo/cls/train '
        '(train_dataloader.dataset.data_prefix)'
    ]
    assert 'Traceback' not in proc.stderr
