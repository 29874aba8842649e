"""Checkpoint layouts, exact loading, and clear errors for bad files."""
import logging
import pickle
import re

import pytest
import torch
from conftest import official_classification as official_layout

from mmpoolformer import PoolFormer
from mmpoolformer.checkpoint import (CheckpointError, convert_state_dict,
                                     foreign_layout, load_state_dict)
from mmpoolformer.checkpoint.layouts import detect

X = torch.randn(1, 3, 64, 64)


def official_classification(reference):
    """The sail-sg ImageNet .pth.tar layout with a 1000-class head."""
    return official_layout(reference, torch.nn.Linear(512, 1000))


def pretrained(path, arch='s12', keep_classifier_norm=False, **kwargs):
    model = PoolFormer(
        arch,
        init_cfg=dict(type='Pretrained', checkpoint=str(path),
                      keep_classifier_norm=keep_classifier_norm),
        **kwargs)
    model.init_weights()
    return model.eval()


def reference_outputs(reference):
    with torch.no_grad():
        return reference(X)


def assert_outputs_equal(model, expected, indices=(0, 1, 2, 3)):
    with torch.no_grad():
        actual = model(X)
    for a, i in zip(actual, indices, strict=True):
        assert (a - expected[i]).abs().max().item() < 1e-5


def assert_fresh_last_norm(model):
    """The last output norm as built: weight 1, bias 0."""
    assert torch.all(model.norm3.weight == 1)
    assert torch.all(model.norm3.bias == 0)


@pytest.fixture
def log_lines():
    """Messages that mmengine's current logger emits during the test."""
    from mmengine.logging import MMLogger
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_official_classification_layout_loads_and_reports_norms(
        reference_s12, tmp_path, log_lines):
    """As the official detection and segmentation code, the classifier's
    final norm is skipped (and logged): norm3 starts at weight 1, bias 0.
    ``keep_classifier_norm`` loads it there."""
    path = tmp_path / 'poolformer_s12.pth.tar'
    torch.save(official_classification(reference_s12), path)
    model = pretrained(path)
    assert_fresh_last_norm(model)
    log = '\n'.join(log_lines)
    assert log.count('output norms not in the checkpoint') == 1
    assert 'norm0.weight' in log and 'head.weight' in log
    assert "skipped the classifier's final norm" in log
    assert 'keep_classifier_norm=True' in log
    assert 'norm3.bias, norm3.weight' in log
    # Only the norms were not loaded: the stages' features are the
    # reference's.
    for i in range(4):
        getattr(model, f'norm{i}').load_state_dict(
            getattr(reference_s12, f'norm{2 * i}').state_dict())
    assert_outputs_equal(model, reference_outputs(reference_s12))

    log_lines.clear()
    kept = pretrained(path, keep_classifier_norm=True, out_indices=(3, ))
    assert_outputs_equal(kept, reference_outputs(reference_s12), (3, ))
    assert "classifier's final norm" not in '\n'.join(log_lines)


def test_official_dense_layout_loads(reference_s12, tmp_path):
    path = tmp_path / 'dense.pth'
    torch.save(reference_s12.state_dict(), path)
    assert detect(reference_s12.state_dict()).name == 'network'
    assert_outputs_equal(pretrained(path), reference_outputs(reference_s12))


def test_mmpretrain_classifier_checkpoint_loads(reference_s12, tmp_path):
    """A whole classifier (only a head besides the backbone): its last
    stage's norm is the classifier's final norm."""
    state = {f'backbone.{k}': v for k, v in reference_s12.state_dict().items()}
    state['head.fc.weight'] = torch.randn(1000, 512)
    state['head.fc.bias'] = torch.randn(1000)
    path = tmp_path / 'mmpretrain.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 300}}, path)
    model = pretrained(path)
    assert_fresh_last_norm(model)
    model.norm3.load_state_dict(reference_s12.norm6.state_dict())
    assert_outputs_equal(model, reference_outputs(reference_s12))
    assert_outputs_equal(pretrained(path, keep_classifier_norm=True),
                         reference_outputs(reference_s12))


def test_whole_detector_checkpoint_loads_every_norm(reference_s12, tmp_path,
                                                     log_lines):
    """A detector's (or segmentor's) norm6 is an output norm it trained: it
    loads, as before, whatever ``keep_classifier_norm`` says."""
    state = {f'backbone.{k}': v for k, v in reference_s12.state_dict().items()}
    state['neck.lateral_convs.0.conv.weight'] = torch.randn(256, 64, 1, 1)
    state['bbox_head.retina_cls.weight'] = torch.randn(27, 256, 3, 3)
    path = tmp_path / 'retinanet.pth'
    torch.save({'state_dict': state}, path)
    assert_outputs_equal(pretrained(path), reference_outputs(reference_s12))
    assert "classifier's final norm" not in '\n'.join(log_lines)


def test_prefix_picks_one_backbone_of_a_checkpoint(reference_s12, tmp_path):
    """``init_cfg``'s ``prefix`` loads the backbone under it (a teacher's of
    a distiller, say) and no other; a prefix no key has names itself."""
    other = PoolFormer('s12', init_cfg=[]).state_dict()
    state = {
        **{f'teacher.backbone.{k}': v
           for k, v in reference_s12.state_dict().items()},
        **{f'student.backbone.{k}': torch.randn_like(v)
           for k, v in other.items()}}
    path = tmp_path / 'distiller.pth'
    torch.save({'state_dict': state}, path)

    def load(prefix):
        model = PoolFormer('s12', init_cfg=dict(
            type='Pretrained', checkpoint=str(path), prefix=prefix))
        model.init_weights()
        return model.eval()

    assert_outputs_equal(load('teacher.backbone.'),
                         reference_outputs(reference_s12))
    with pytest.raises(CheckpointError,
                       match="distiller.pth has no keys under the prefix "
                       "'backbone.'"):
        load('backbone.')


def test_keep_classifier_norm_must_be_a_bool(tmp_path):
    with pytest.raises(TypeError, match='keep_classifier_norm'):
        pretrained(tmp_path / 'never_loaded.pth', keep_classifier_norm='yes')


def test_timm_layout_loads_and_matches_timm_stages(tmp_path):
    timm = pytest.importorskip('timm')
    reference = timm.create_model('poolformer_s12', pretrained=False)
    torch.manual_seed(0)
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    reference.eval()
    state = reference.state_dict()
    assert detect(state).name == 'timm'
    path = tmp_path / 'timm.pth'
    torch.save(state, path)
    model = pretrained(path)
    stage_outputs = []
    hooks = [s.register_forward_hook(lambda m, i, o: stage_outputs.append(o))
             for s in model.stages]
    with torch.no_grad():
        model(X)
        x = reference.stem(X)
        expected = []
        for stage in reference.stages:
            x = stage(x)
            expected.append(x)
    for hook in hooks:
        hook.remove()
    for a, e in zip(stage_outputs, expected):
        assert (a - e).abs().max().item() < 1e-5
    # timm's head.norm is the classifier's final norm.
    assert_fresh_last_norm(model)
    kept = pretrained(path, keep_classifier_norm=True)
    assert torch.equal(kept.norm3.weight, reference.head.norm.weight)
    assert torch.equal(kept.norm3.bias, reference.head.norm.bias)


def test_pretrained_argument_is_the_init_cfg_shortcut(reference_s12,
                                                       tmp_path):
    path = tmp_path / 'dense.pth'
    torch.save(reference_s12.state_dict(), path)
    model = PoolFormer('s12', pretrained=str(path))
    assert model.init_cfg == dict(type='Pretrained', checkpoint=str(path))
    model.init_weights()
    assert_outputs_equal(model.eval(), reference_outputs(reference_s12))
    with pytest.raises(ValueError, match='not both'):
        PoolFormer('s12', pretrained=str(path), init_cfg=model.init_cfg)


def test_own_layout_round_trips(tmp_path):
    source = PoolFormer('s12', drop_path_rate=0.1).eval()
    with torch.no_grad():
        for p in source.parameters():
            p.add_(torch.randn_like(p))
    path = tmp_path / 'ours.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    loaded = pretrained(path)
    for key, value in source.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key


def our_names(prefix='backbone.', **kwargs):
    return {prefix + k for k in PoolFormer('s12', **kwargs).state_dict()}


def test_official_whole_detector_checkpoint_takes_our_names(reference_s12):
    """Its backbone's tensors, each once, under our names; the rest as it
    is."""
    state = {f'backbone.{k}': v for k, v in reference_s12.state_dict().items()}
    state['neck.lateral_convs.0.conv.weight'] = torch.randn(256, 64, 1, 1)
    converted = convert_state_dict(state)
    assert set(converted) == our_names() | {'neck.lateral_convs.0.conv.weight'}
    assert sorted(map(id, converted.values())) == sorted(
        map(id, state.values()))


def test_earlier_mmpoolformer_layout_converts_to_our_names(reference_s12):
    """Models trained with mmpoolformer 0.1 (``stages.{i}.blocks``,
    ``stages.{i}.downsample``, ``norm{i}``) load after conversion and give
    the reference's outputs."""
    official = reference_s12.state_dict()
    earlier = {}
    for key, value in official.items():
        key = re.sub(r'^network\.(\d+)\.', lambda m: (
            f'stages.{int(m[1]) // 2}.blocks.' if int(m[1]) % 2 == 0 else
            f'stages.{(int(m[1]) + 1) // 2}.downsample.'), key)
        earlier[re.sub(r'^norm(\d)\.', lambda m: f'norm{int(m[1]) // 2}.',
                       key)] = value
    assert detect(earlier).name == 'stages'
    whole = {f'backbone.{k}': v for k, v in earlier.items()}
    whole['head.fc.weight'] = torch.randn(1000, 512)
    converted = convert_state_dict(whole)
    assert set(converted) == our_names() | {'head.fc.weight'}
    model = PoolFormer('s12', init_cfg=[])
    model.load_state_dict({k[len('backbone.'):]: v
                           for k, v in converted.items()
                           if k.startswith('backbone.')})
    assert_outputs_equal(model.eval(), reference_outputs(reference_s12))


def test_bare_official_checkpoint_converts_to_a_whole_classifier(
        reference_s12):
    state = official_classification(reference_s12)
    converted = convert_state_dict(state)
    assert torch.equal(converted['head.fc.weight'], state['head.weight'])
    assert torch.equal(converted['backbone.norm3.bias'], state['norm.bias'])
    assert all(k.startswith(('backbone.', 'head.fc.')) for k in converted)
    assert len(converted) == len(state)


def test_unknown_arch_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"'s13'.*m36.*m48.*s12.*s24.*s36"):
        PoolFormer('s13')


@pytest.mark.parametrize('out_indices', [(4, ), (-5, ), (0, 0), (2, 1)])
def test_bad_out_indices_are_refused(out_indices):
    with pytest.raises(ValueError, match='out_indices'):
        PoolFormer('s12', out_indices=out_indices)


@pytest.mark.parametrize('kwargs, match', [
    (dict(token_mixer='conv'), 'token mixer'),
    (dict(norm_cfg='in'), 'norm'),
    (dict(act_cfg='tanh'), 'activation'),
    (dict(token_mixer=('pooling', 'attention')), 'each of the 4 stages'),
    (dict(frozen_stages=5), 'frozen_stages'),
])
def test_bad_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PoolFormer('s12', **kwargs)


def test_spatial_mlp_refuses_another_input_size():
    model = PoolFormer('s12', token_mixer='spatial_mlp', img_size=64)
    with pytest.raises(ValueError, match='img_size'):
        model(torch.randn(1, 3, 96, 96))


def test_missing_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'nowhere.pth'
    with pytest.raises(CheckpointError, match='nowhere.pth'):
        pretrained(path)


def test_corrupt_checkpoint_names_the_file(tmp_path, reference_s12):
    path = tmp_path / 'truncated.pth'
    torch.save(reference_s12.state_dict(), path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match='truncated.pth.*corrupt'):
        pretrained(path)


def test_foreign_network_is_refused(tmp_path):
    import torchvision
    path = tmp_path / 'resnet18.pth'
    torch.save(torchvision.models.resnet18().state_dict(), path)
    with pytest.raises(CheckpointError,
                       match='resnet18.pth.*no PoolFormer weights'):
        pretrained(path)


@pytest.mark.parametrize('source, target', [('s24', 's12'), ('s12', 's24'),
                                            ('m36', 's36')])
def test_checkpoint_of_another_arch_is_refused(tmp_path, source, target):
    path = tmp_path / f'{source}.pth'
    torch.save(PoolFormer(source).state_dict(), path)
    with pytest.raises(CheckpointError,
                       match=f'{source}.pth does not fit this PoolFormer'):
        pretrained(path, arch=target)


def test_checkpoint_with_other_token_mixer_is_refused(tmp_path):
    path = tmp_path / 'hybrid.pth'
    torch.save(
        PoolFormer('s12', token_mixer=('pooling', ) * 2 +
                   ('attention', ) * 2).state_dict(), path)
    with pytest.raises(CheckpointError, match='have no place in the model'):
        pretrained(path)


class _Exploit:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)},
                'payload': _Exploit(str(marker))}, path)
    with pytest.raises(CheckpointError, match='evil.pth.*refused|refused.*evil'):
        load_state_dict(str(path))
    assert not marker.exists()
    # The same through mmengine's own loader, as load_from / resume use it:
    # torch's weights_only default refuses it.
    from mmengine.runner import CheckpointLoader
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path))
    assert not marker.exists()


class _AttributeEscape:
    """Pickles as getattr(HistoryBuffer, '__init__'): the allow-listed
    stand-in for getattr must not resolve anything but the statistics."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_beyond_history_buffer_statistics_is_refused(tmp_path):
    path = tmp_path / 'escape.pth'
    torch.save({'state_dict': {'w': torch.ones(1)},
                'payload': _AttributeEscape()}, path)
    with pytest.raises(CheckpointError, match='escape.pth'):
        load_state_dict(str(path))


def test_checkpoint_saved_by_mmengine_runner_loads(tmp_path):
    from mmengine.runner import load_checkpoint
    from tiny_runner import Tiny, tiny_runner
    runner = tiny_runner(tmp_path)
    runner.train()
    path = tmp_path / 'iter_2.pth'
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint['meta']['iter'] == 2
    assert 'message_hub' in checkpoint
    model = Tiny()
    load_checkpoint(model, str(path))
    assert torch.equal(model.fc.weight, runner.model.fc.weight)


def test_layouts_other_than_ours_count_as_foreign(reference_s12):
    official = reference_s12.state_dict()
    whole = {f'backbone.{k}': v for k, v in official.items()}
    assert foreign_layout(whole) == 'network'
    ours = {k: torch.zeros(1) for k in our_names()}
    ours['backbone.stages.0.0.mlp.fc1.weight'] = torch.zeros(256, 64, 1, 1)
    assert foreign_layout(ours) is None
    assert foreign_layout(official_classification(reference_s12)) == \
        'network'
    earlier = {f'backbone.stages.0.blocks.0.{k}': v for k, v in
               reference_s12.network[0][0].state_dict().items()}
    assert foreign_layout(earlier) == 'stages'
    assert foreign_layout({'backbone.conv1.weight': torch.zeros(1)}) is None
