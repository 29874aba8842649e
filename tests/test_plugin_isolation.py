"""Importing mmpoolformer adds our classes and changes nothing else that other
models in the process rely on: mmengine's checkpoint loaders and file
backends stay its own, other packages' config paths resolve as before, and
mmpretrain's own models save and load back exactly beside us."""
import json
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.registry import init_default_scope

import mmpoolformer  # noqa: F401  (what custom_imports does)

# What a process looks like to mmengine, printed as JSON, before and after
# `import mmpoolformer`.
SNAPSHOT = textwrap.dedent('''
    import json, sys
    import torch
    import mmengine.config.config as config_module
    import mmengine.hub.hub as hub_module
    from mmengine.config.utils import MODULE2PACKAGE
    from mmengine.fileio.backends import registry_utils
    from mmengine.runner import CheckpointLoader

    def name(obj):
        return f'{obj.__module__}.{obj.__qualname__}'

    def snapshot():
        return dict(
            loaders={k: name(v) for k, v in CheckpointLoader._schemes.items()},
            backends={k: name(v) for k, v in registry_utils.backends.items()},
            prefixes={k: name(v) for k, v in
                      registry_utils.prefix_to_backends.items()},
            packages=dict(MODULE2PACKAGE),
            installed={p: config_module.get_installed_path(p)
                       for p in ('mmdet', 'mmseg', 'mmpretrain', 'mmengine')},
            hub_installed={p: hub_module.get_installed_path(p)
                           for p in ('mmdet', 'mmseg', 'mmpretrain')},
            torch_load=name(torch.load),
            safe_globals=sorted(
                f'{name(g[0])} as {g[1]}' if isinstance(g, tuple) else name(g)
                for g in torch.serialization.get_safe_globals()))

    import mmcv.cnn  # what we import; torch adds types of its own for it
    before = snapshot()
    import mmpoolformer
    print(json.dumps(dict(before=before, after=snapshot())))
''')


@pytest.fixture(scope='module')
def snapshots():
    out = subprocess.run([sys.executable, '-c', SNAPSHOT],
                         capture_output=True,
                         text=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_mmengine_loaders_and_backends_stay_its_own(snapshots):
    before, after = snapshots['before'], snapshots['after']
    assert after['loaders'] == before['loaders']
    assert all(v.startswith('mmengine.') for v in after['loaders'].values())
    assert after['prefixes'] == before['prefixes']
    assert after['backends'].pop('mmpoolformer_atomic_local') == \
        'mmpoolformer.checkpoint.atomic_save.AtomicLocalBackend'
    assert after['backends'] == before['backends']
    assert after['backends']['local'] == \
        'mmengine.fileio.backends.local_backend.LocalBackend'
    assert after['torch_load'] == before['torch_load']


def test_other_packages_config_paths_resolve_as_before(snapshots):
    before, after = snapshots['before'], snapshots['after']
    assert after['installed'] == before['installed']
    assert after['hub_installed'] == before['hub_installed']
    assert after['packages'].pop('mmpoolformer') == 'mmpoolformer'
    assert after['packages'] == before['packages']


# What mmengine's Runner writes into a checkpoint besides tensors: exactly
# these join torch's weights_only allow-list, plus numpy's dtype classes.
MMENGINE_CHECKPOINT_TYPES = {
    'mmengine.logging.history_buffer.HistoryBuffer',
    'numpy.ndarray',
    'numpy.dtype',
    'numpy._core.multiarray._reconstruct',
    'numpy._core.multiarray.scalar',
    # The names numpy 1.x wrote.
    'numpy._core.multiarray._reconstruct as '
    'numpy.core.multiarray._reconstruct',
    'numpy._core.multiarray.scalar as numpy.core.multiarray.scalar',
    # HistoryBuffer pickles getattr(HistoryBuffer, 'mean') and the like: a
    # stand-in that resolves those four methods and nothing else.
    'mmpoolformer.checkpoint.safe_load._history_buffer_method as '
    'builtins.getattr',
}


def test_the_only_process_wide_change_is_the_allow_list(snapshots):
    before = set(snapshots['before']['safe_globals'])
    after = set(snapshots['after']['safe_globals'])
    assert before <= after
    added = after - before
    dtypes = {g for g in added if g.startswith('numpy.dtypes.')}
    assert {'numpy.dtypes.Float32DType', 'numpy.dtypes.Int64DType'} <= dtypes
    assert added - dtypes == MMENGINE_CHECKPOINT_TYPES


def mmpretrain_classifier(config):
    """mmpretrain's own classifier of one of its configs, with random,
    non-trivial weights."""
    from mmengine.hub import get_config
    from mmpretrain.models import build_classifier
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = build_classifier(get_config(f'mmpretrain::{config}').model)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    return model.eval()


MMPRETRAIN_MODELS = {
    'PoolFormer-s12': 'poolformer/poolformer-s12_32xb128_in1k.py',
    'EfficientFormer-l1': 'efficientformer/efficientformer-l1_8xb128_in1k.py',
}


def logits(model, x):
    with torch.no_grad():
        return model(x, mode='tensor')


@pytest.mark.parametrize('name', sorted(MMPRETRAIN_MODELS))
def test_mmpretrain_models_load_back_exactly_beside_us(name, tmp_path):
    """Before, our import renamed any ``network.*`` checkpoint: mmpretrain's
    own PoolFormer kept random weights and EfficientFormer did not load."""
    from mmengine.runner import Runner, load_checkpoint, save_checkpoint
    source = mmpretrain_classifier(MMPRETRAIN_MODELS[name])
    path = str(tmp_path / 'classifier.pth')
    save_checkpoint({'state_dict': source.state_dict()}, path)
    # EfficientFormer's last attention is built for 224x224 inputs.
    x = torch.randn(2, 3, 224, 224)
    expected = logits(source, x)

    by_function = mmpretrain_classifier(MMPRETRAIN_MODELS[name])
    torch.manual_seed(1)
    load_checkpoint(by_function, path, strict=True)

    by_init_cfg = mmpretrain_classifier(MMPRETRAIN_MODELS[name])
    by_init_cfg.init_cfg = dict(type='Pretrained', checkpoint=path)
    by_init_cfg.init_weights()

    by_load_from = Runner(
        model=mmpretrain_classifier(MMPRETRAIN_MODELS[name]),
        work_dir=str(tmp_path / 'runner'),
        load_from=path,
        default_scope='mmpretrain')
    by_load_from.load_or_resume()

    for model in (by_function, by_init_cfg, by_load_from.model):
        difference = (logits(model.eval(), x) - expected).abs().max().item()
        assert difference < 1e-6
