"""Shared fixtures: reference PoolFormers with random, non-trivial weights;
the Hypothesis profiles of the property-based tests."""
import os
import os.path as osp
import shutil

import pytest
from filelock import FileLock

# pytest-xdist's workers share the cores: each worker, and every tool it
# starts (they inherit its environment), takes its share of threads rather
# than one a core, which would oversubscribe them. Set before torch loads.
WORKERS = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', '1'))
if WORKERS > 1:
    os.environ.setdefault(
        'OMP_NUM_THREADS',
        str(max(1, len(os.sched_getaffinity(0)) // WORKERS)))

import torch  # noqa: E402
from hypothesis import settings  # noqa: E402

# No deadline: a first build can take a second on a busy machine. In CI
# (.ci/run sets CI) the examples are fixed, and a failure prints a
# reproduce_failure blob; here the example database (.hypothesis/, which
# ignores itself) replays it.
settings.register_profile(
    'ci', derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile('dev', deadline=None, print_blob=True)
settings.load_profile('ci' if os.environ.get('CI') else 'dev')


@pytest.fixture(scope='module')
def module_tmp_path(request, tmp_path_factory):
    """A folder for the fixtures one test module shares. Like a passing
    test's ``tmp_path`` (pytest.ini), it goes when the module ends, unless
    a test failed meanwhile: a full run would otherwise hold gigabytes."""
    failed = request.session.testsfailed
    path = tmp_path_factory.mktemp(request.module.__name__)
    yield path
    if request.session.testsfailed == failed:
        shutil.rmtree(path, ignore_errors=True)


# The demo configs of every task, trained once a session (demo_trainings).
DEMO_CONFIGS = ('retinanet_poolformer_s12_demo.py',
                'retinanet_caformer_s18_demo.py',
                'mask_rcnn_poolformer_s12_demo.py',
                'cascade_mask_rcnn_convformer_s18_demo.py',
                'dino_4scale_caformer_s18_demo.py',
                'fpn_poolformer_s12_demo.py', 'upernet_caformer_s18_demo.py',
                'poolformer_s12_demo_cls.py')


class DemoTrainings:
    """The demo configs trained with ``tools/train.py`` for two iterations
    (batch 2, validated at the end, every detection kept) on a tiny demo
    dataset in ``run_dir``, each the first time a test asks for it:
    ``trainings[config name]`` is (checkpoint, the training's output).
    Under pytest-xdist the workers share ``run_dir``; a file lock per
    config has one of them train it and the others read what it saved."""

    def __init__(self, run_dir):
        from tool_runs import make_demo_data
        self.run_dir = run_dir
        with FileLock(run_dir / 'data.lock'):
            if not (run_dir / 'data.done').is_file():
                make_demo_data(run_dir, num_train=4, num_val=2)
                (run_dir / 'data.done').touch()

    def __getitem__(self, name):
        work_dir = self.run_dir / 'work_dirs' / osp.splitext(name)[0]
        output = work_dir.with_suffix('.output')
        with FileLock(work_dir.with_suffix('.lock')):
            if not output.is_file():
                self._train(name, work_dir, output)
        checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
        assert osp.isfile(checkpoint)
        return checkpoint, output.read_text()

    def _train(self, name, work_dir, output):
        from tool_runs import (DEMO_DIR, KEEP_ALL_DETECTIONS, assert_ok,
                               run_in_process)
        keep_all = [f'{key}={value}'
                    for key, value in KEEP_ALL_DETECTIONS.get(name,
                                                              {}).items()]
        result = run_in_process('train.py', osp.join(DEMO_DIR, name),
                                '--work-dir', work_dir, '--cfg-options',
                                'train_cfg.max_iters=2',
                                'train_dataloader.batch_size=2', *keep_all,
                                cwd=self.run_dir)
        assert_ok(result)
        # Written last: its presence says that the training is complete.
        output.write_text(result.stdout + result.stderr)


@pytest.fixture(scope='session')
def demo_trainings(request, tmp_path_factory):
    """(run dir, :class:`DemoTrainings`): every demo config trained once a
    session, on first use; the configs find their data when they run in
    the run dir. Shared: its users write only elsewhere."""
    if os.environ.get('PYTEST_XDIST_WORKER'):
        # The folder of the whole run, which pytest-xdist's controller
        # removes when the run passes.
        run_dir = tmp_path_factory.getbasetemp().parent / 'demo_trainings'
        run_dir.mkdir(exist_ok=True)
        yield run_dir, DemoTrainings(run_dir)
        return
    failed = request.session.testsfailed
    run_dir = tmp_path_factory.mktemp('demo_trainings')
    yield run_dir, DemoTrainings(run_dir)
    if request.session.testsfailed == failed:
        shutil.rmtree(run_dir, ignore_errors=True)


ARCHS = ('s12', 's24', 's36', 'm36', 'm48')


def randomize_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Fills every parameter with random values, so that layer scales and
    norms are far from their (near-identity) initialisation."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if 'layer_scale' in name or name.endswith('norm1.weight') or \
                    name.endswith('norm2.weight'):
                values = torch.rand(param.shape, generator=generator) + 0.5
            else:
                values = torch.randn(param.shape, generator=generator) * 0.05
            param.copy_(values)
    return module


def mmpretrain_poolformer(arch: str, seed: int = 0) -> torch.nn.Module:
    """mmpretrain's PoolFormer, official key layout, with outputs of all four
    stages (its positions 0, 2, 4, 6), in eval mode."""
    from mmpretrain.models.backbones import PoolFormer as Reference
    model = Reference(arch=arch, out_indices=(0, 2, 4, 6))
    randomize_(model, seed)
    model.eval()  # mmpretrain's train() returns None: no chaining
    return model


@pytest.fixture(scope='session')
def reference_s12():
    return mmpretrain_poolformer('s12')


def official_classification(reference: torch.nn.Module,
                            head: torch.nn.Linear) -> dict:
    """The sail-sg ImageNet .pth.tar layout of ``reference`` (an
    official-layout backbone with output norms at 0/2/4/6): its blocks, its
    last output norm as the final ``norm``, and ``head`` as ``head``."""
    state = {k: v for k, v in reference.state_dict().items()
             if not k.startswith('norm')}
    state.update(
        {f'norm.{k}': v for k, v in reference.norm6.state_dict().items()})
    state.update({f'head.{k}': v for k, v in head.state_dict().items()})
    return state


def assert_official_init(weights) -> None:
    """Asserts that ``weights``, pooled, are initialised as the official
    PoolFormer does: timm's ``trunc_normal_(std=.02)``, whose bounds (-2, 2)
    are absolute (100 std), so the values are an uncut N(0, 0.02^2) with
    about 4.6% beyond 2 std. PyTorch's default (uniform, std
    1/sqrt(3 fan_in), 0.072 for 64 input channels) and a normal cut at 2
    std (std 0.0176, none beyond) fail."""
    values = torch.cat([w.detach().flatten() for w in weights])
    assert values.std().item() == pytest.approx(0.02, rel=0.05)
    assert abs(values.mean().item()) < 0.002
    beyond = (values.abs() > 0.04).float().mean().item()
    assert 0.035 < beyond < 0.056


def build_classifier(cfg):
    """Builds a classifier config's model as mmengine's Runner does, with
    the config's top-level data preprocessor."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    model = cfg.model.copy()
    model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return MODELS.build(model)


def assert_loads_strictly(model: torch.nn.Module, path) -> None:
    """The checkpoint at ``path`` leaves no key of ``model`` missing and
    has none unexpected, read directly and through mmengine."""
    from mmengine.runner import load_checkpoint
    state = torch.load(path, weights_only=True)['state_dict']
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    load_checkpoint(model, str(path), strict=True)
