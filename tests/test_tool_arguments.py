"""Property-based tests of the tools' command lines, with Hypothesis.

Whatever a user types, tools/train.py and tools/test.py either accept it or
end with exactly one ``error:`` line and a non-zero exit status: no
traceback, and nothing in the work dir. The generated command lines mix
``--cfg-options`` (keys of the config, unknown keys, values of the wrong
kind, bad backbone arguments, broken syntax) with config and checkpoint
files that are missing, unreadable or of another codebase.

The tools run in this process (``runpy``), on the RetinaNet demo config and a
tiny copy of its data, with ``--dry-run``, which checks everything a run
checks before its runner starts; an example takes well under a second.
A second test runs the same mistakes without ``--dry-run`` and checks that
the work dir stays empty.
"""
import os.path as osp

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpoolformer.analysis import build_model
from mmpoolformer.engine import load_config
from mmpoolformer.engine.command_line import ArgumentParser, add_config_args
from tool_runs import ROOT, make_demo_data, run_in_process

RETINANET = osp.join(ROOT, 'configs/demo/retinanet_poolformer_s12_demo.py')
# Keys of the config whose values are numbers or True/False, and backbone
# arguments the config leaves at their defaults.
KNOWN_KEYS = ('train_dataloader.batch_size', 'train_cfg.max_iters',
              'optim_wrapper.optimizer.lr', 'randomness.seed',
              'default_hooks.logger.interval', 'model.bbox_head.num_classes',
              'model.backbone.drop_path_rate', 'model.backbone.pool_size',
              'model.backbone.out_indices', 'model.backbone.frozen_stages',
              'model.backbone.arch', 'model.backbone.norm_eval',
              'train_dataloader.dataset.pipeline.3.prob')
# Values as a user would type them; some are fine for some keys.
VALUES = ('0', '1', '2', '3', '4', '-1', '-3', '0.1', '1.5', '1e-3', 'True',
          'False', 'None', 'abc', "'s12'", 's99', '[0,1]', '(3,)', '[]',
          '[1,2', '(1,', 'dict(type=1)', '"x"')
# Files that are not what the tool expects, as (name, content).
BAD_CONFIGS = {
    'missing.py': None,
    'syntax_error.py': b'model = dict(\n',
    'binary.py': b'\xff\xfe\x00\x01',
    'broken.yaml': b'model: [\n',
    'no_scope.py': b'model = dict(type="RetinaNet")\n',
    'mmocr_config.py': b'default_scope = "mmocr"\nmodel = dict()\n',
    'raises.py': b'import os\nos.no_such_function()\n',
}
BAD_CHECKPOINTS = ('missing.pth', 'garbage.pth', 'empty.pth', 'folder.pth')


@pytest.fixture(scope='module')
def workspace(module_tmp_path):
    """A folder with the demo data (where the demo configs look for it),
    the bad configs, the bad checkpoints and a good checkpoint."""
    root = make_demo_data(module_tmp_path,
                          num_train=2, num_val=1)
    for name, content in BAD_CONFIGS.items():
        if content is not None:
            (root / name).write_bytes(content)
    (root / 'garbage.pth').write_bytes(b'not a checkpoint')
    (root / 'empty.pth').write_bytes(b'')
    (root / 'folder.pth').mkdir()
    torch.save({'state_dict': {}}, root / 'good.pth')
    return root


def assert_accepted_or_one_error(result, ready):
    """Status 0 with the ``ready`` line, or a non-zero status with exactly
    one ``error:`` line."""
    status, stdout, stderr = result.returncode, result.stdout, result.stderr
    errors = [line for line in stderr.splitlines()
              if line.startswith('error:')]
    if status == 0:
        assert ready in stdout and not errors, stdout + stderr
    else:
        assert status in (1, 2) and len(errors) == 1, (status, stderr)
    return errors


options = st.one_of(
    st.tuples(st.sampled_from(KNOWN_KEYS), st.sampled_from(VALUES)).map(
        '='.join),
    # Unknown keys: a misspelt part, or a part under a known key.
    st.tuples(
        st.sampled_from(KNOWN_KEYS),
        st.from_regex(r'[a-z_]{1,8}', fullmatch=True),
        st.sampled_from(VALUES)).map(lambda t: f'{t[0]}.{t[1]}={t[2]}'),
    # No '=', an empty key, empty parts.
    st.sampled_from(('model.backbone.arch', '=1', 'model..backbone=1',
                     'train_cfg.=1', '.=.')))
config_files = st.one_of(
    st.just(RETINANET).map(lambda path: ('good', path)),
    st.sampled_from(sorted(BAD_CONFIGS)).map(lambda name: ('bad', name)))


@settings(max_examples=30)
@given(config=config_files,
       cfg_options=st.lists(options, max_size=3),
       checkpoint=st.sampled_from(('good.pth', *BAD_CHECKPOINTS)),
       tool=st.sampled_from(('train.py', 'test.py')))
def test_a_command_line_is_accepted_or_ends_with_one_error_line(
        workspace, config, cfg_options, checkpoint, tool):
    kind, path = config
    work_dir = workspace / 'work_dir'
    args = [path]
    if tool == 'test.py':
        args.append(checkpoint)
    args += ['--dry-run', '--work-dir', work_dir]
    if cfg_options:
        args += ['--cfg-options', *cfg_options]
    result = run_in_process(tool, *args, cwd=workspace)
    status = result.returncode
    assert_accepted_or_one_error(result, 'ready to')
    if kind == 'bad' or (tool == 'test.py' and checkpoint != 'good.pth'):
        assert status != 0
    if status == 0:
        # Accepted means that the config's model builds with the options.
        build_model(config_with_options(path, cfg_options))
    assert not work_dir.exists()


def config_with_options(path, cfg_options):
    """The config the tools make of ``path`` and ``--cfg-options``."""
    parser = ArgumentParser()
    add_config_args(parser)
    args = parser.parse_args([path, '--cfg-options', *cfg_options]
                             if cfg_options else [path])
    return load_config(args.config, args.cfg_options)


@pytest.mark.parametrize(
    'tool, args, message',
    [
        ('train.py', ['--cfg-options', 'model.backbone.pool_size=4'],
         'pool_size'),
        ('train.py', ['--cfg-options', 'train_dataloader.batch_size=two'],
         'train_dataloader.batch_size'),
        ('train.py', ['--cfg-options', 'train_cfg.max_iters'],
         'no KEY=VALUE pair'),
        ('train.py', ['--cfg-options', 'model.backbone.arhc=1'],
         "unknown --cfg-options key 'model.backbone.arhc'"),
        ('test.py', ['good.pth', '--cfg-options',
                     'model.backbone.drop_path_rate=1.5'], 'drop_path_rate'),
        ('test.py', ['garbage.pth'], 'garbage.pth'),
    ])
def test_a_refused_run_writes_nothing(workspace, tmp_path, tool, args,
                                      message):
    """The same mistakes without ``--dry-run``: refused before the runner
    creates the work dir (or, for test.py, converts a checkpoint into it)."""
    work_dir = tmp_path / 'work_dir'
    result = run_in_process(
        tool, RETINANET, *args, '--work-dir', work_dir, cwd=workspace)
    errors = assert_accepted_or_one_error(result, 'ready')
    assert result.returncode != 0 and message in errors[0], errors
    assert not work_dir.exists()
