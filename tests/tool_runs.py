"""Running the repository's tools, in a subprocess or in the test process
(:func:`run_in_process`), and checking how they end; shared by the test
modules."""
import contextlib
import hashlib
import io
import os
import os.path as osp
import re
import runpy
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS = osp.join(ROOT, 'tools')
DEMO_DIR = osp.join(ROOT, 'configs', 'demo')
# After two iterations no detection scores above the usual threshold, and
# mmdet's CocoMetric reports no metric at all for empty results.
KEEP_ALL_DETECTIONS = {
    'retinanet_poolformer_s12_demo.py': {
        'model.test_cfg.score_thr': 0
    },
    'retinanet_caformer_s18_demo.py': {
        'model.test_cfg.score_thr': 0
    },
    'mask_rcnn_poolformer_s12_demo.py': {
        'model.test_cfg.rcnn.score_thr': 0
    },
}
# What mmengine prints beside the metrics on their line.
TIMINGS = ('data_time', 'time')


def run(tool, *args, cwd=None, timeout=None, **env):
    """Runs a tool in tools/ (a .py with this Python, a .sh with bash);
    ``env`` adds to (or replaces) the environment."""
    return run_command([*tool_command(tool), *args],
                       cwd=cwd,
                       timeout=timeout,
                       **env)


def run_in_process(tool, *args, cwd=None):
    """Runs the Python tool ``tools/<tool>`` (or the repository script at
    the relative path ``tool``, such as ``demo/image_demo.py``) as
    ``__main__`` in this process, in ``cwd`` (default: the repository),
    with its output captured; returns a ``CompletedProcess`` as :func:`run`
    does. No interpreter starts and nothing is imported again. What the run
    changes of the process is put back: the arguments, the import path, the
    environment, flush-denormal and mmengine's global instances. Any exception but SystemExit propagates
    and fails the test: it is the traceback a user would see. For what a
    tool does within its process; whatever is about processes (launchers,
    exit codes of a crash, the environment a tool starts with) runs in a
    subprocess (:func:`run`)."""
    import torch
    from mmpoolformer.engine.denormals import flush_denormals
    script = osp.join(ROOT, tool) if '/' in tool else osp.join(TOOLS, tool)
    out, err = io.StringIO(), io.StringIO()
    command = [script, *map(str, args)]
    argv, path, environ = sys.argv, list(sys.path), dict(os.environ)
    # No getter: a denormal times one is zero when they are flushed.
    flushing = torch.tensor(1e-40).mul(1.0).item() == 0.0
    sys.argv = command
    sys.path.insert(0, osp.dirname(script))
    try:
        with contextlib.chdir(cwd or ROOT), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err), fresh_mmengine_instances():
            runpy.run_path(script, run_name='__main__')
        status = 0
    except SystemExit as stop:
        # The exit status Python gives sys.exit(code).
        status = stop.code if isinstance(stop.code, int) else int(
            stop.code is not None)
    finally:
        sys.argv, sys.path[:] = argv, path
        os.environ.clear()
        os.environ.update(environ)
        # tools/train.py flushes denormals on every thread of its process.
        flush_denormals(flushing)
    return subprocess.CompletedProcess(command, status, out.getvalue(),
                                       err.getvalue())


@contextlib.contextmanager
def fresh_mmengine_instances():
    """Within: none of mmengine's global instances (loggers, message hubs,
    visualizers, default scopes) that exist, as in a new process; after:
    those, and none of the ones made within. The current logger would
    print a tool's first lines where an earlier test captured; and
    ``get_instance`` would hand a tool the instances of an earlier run of
    the same name: a Runner names its own after its config and the second
    it started, and the libraries' configs name their visualizer
    ``'visualizer'`` (its drawings and scalars would go to the earlier work
    dir)."""
    from mmengine.utils import ManagerMixin

    def manager_classes():
        classes, found = [ManagerMixin], []
        while classes:
            found.append(classes.pop())
            classes += found[-1].__subclasses__()
        return found

    # mmengine keeps them in a (private) dict of each class.
    saved = {cls: dict(cls._instance_dict) for cls in manager_classes()}
    for cls in saved:
        cls._instance_dict.clear()
    try:
        yield
    finally:
        for cls in manager_classes():
            cls._instance_dict.clear()
            cls._instance_dict.update(saved.get(cls, {}))


def tool_command(tool):
    """The command that starts a tool in tools/: a .py with this Python, a
    .sh with bash."""
    path = osp.join(TOOLS, tool)
    return ['bash', path] if tool.endswith('.sh') else [sys.executable, path]


def tool_environment(**env):
    """The environment tools run in: this Python as ``PYTHON``, the
    repository first on ``PYTHONPATH``, and ``env`` added (or replacing)."""
    environ = dict(
        os.environ,
        PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join([ROOT,
                                    os.environ.get('PYTHONPATH', '')]))
    environ.update({name: str(value) for name, value in env.items()})
    return environ


def run_command(command, cwd=None, timeout=None, **env):
    """Runs ``command`` in :func:`tool_environment`."""
    return subprocess.run(list(map(str, command)),
                          cwd=cwd or ROOT,
                          env=tool_environment(**env),
                          capture_output=True,
                          text=True,
                          timeout=timeout)


def assert_ok(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def output_of(tool, *args, cwd=None):
    """The stdout of ``tool`` run in this process (:func:`run_in_process`),
    which must succeed."""
    result = run_in_process(tool, *args, cwd=cwd)
    assert_ok(result)
    return result.stdout


def assert_clean_error(result, *fragments):
    """A non-zero exit with exactly one ``error:`` line, naming the
    fragments, and no traceback."""
    assert result.returncode != 0
    assert 'Traceback' not in result.stderr + result.stdout
    errors = [
        line for line in result.stderr.splitlines()
        if line.startswith('error:')
    ]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert str(fragment) in errors[0], errors[0]


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def file_hashes(root):
    """Map every file under root (relative path) to its SHA-256."""
    hashes = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = osp.join(dirpath, name)
            with open(path, 'rb') as f:
                hashes[osp.relpath(path, root)] = hashlib.sha256(
                    f.read()).hexdigest()
    return hashes


def make_demo_data(root, num_train=8, num_val=4, img_size=128):
    """A tiny demo dataset in ``root/data/demo``, where the demo configs
    look for it when they run in ``root``."""
    from mmpoolformer.datasets.demo_shapes import generate
    generate(
        osp.join(str(root), 'data', 'demo'),
        num_train=num_train,
        num_val=num_val,
        img_size=img_size)
    return root


def make_tiny_ade(root, num_images=2):
    """An ADE20K-style validation folder (random 70x100 images, label maps
    with values 0-150) at ``root``; returns ``root``."""
    import cv2
    import numpy as np
    rng = np.random.default_rng(0)
    for folder in ('images', 'annotations'):
        os.makedirs(osp.join(root, folder, 'validation'), exist_ok=True)
    for index in range(num_images):
        cv2.imwrite(
            osp.join(root, 'images', 'validation', f'{index}.jpg'),
            rng.integers(0, 256, (70, 100, 3), dtype=np.uint8))
        cv2.imwrite(
            osp.join(root, 'annotations', 'validation', f'{index}.png'),
            rng.integers(0, 151, (70, 100), dtype=np.uint8))
    return root


def run_stopping_at(deadline, tool, *args, cwd=None, **env):
    """Like :func:`run`, for a tool that may hang: past ``deadline`` seconds
    it is stopped with SIGTERM, on which torchrun stops its processes (they
    run in sessions of their own, out of reach of a kill of the tool's
    group), and ``subprocess.TimeoutExpired`` is raised."""
    process = subprocess.Popen([*tool_command(tool), *map(str, args)],
                               cwd=cwd or ROOT,
                               env=tool_environment(**env),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               text=True)
    try:
        stdout, stderr = process.communicate(timeout=deadline)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode,
                                       stdout, stderr)


def final_metrics(output, mode):
    """The metrics on the last line that mmengine printed for ``mode``
    ('val' or 'test'), as printed (four decimals)."""
    line = [
        line for line in output.splitlines() if f'Iter({mode})' in line
    ][-1]
    return {
        key: value
        for key, value in re.findall(r'([\w/]+): (-?[\d.]+)', line)
        if key not in TIMINGS
    }


def install_copy(folder):
    """A regular install (``pip install``, no dependencies) of this
    checkout's git files, committed or not, into ``folder/site``, from a
    copy in ``folder/src``; returns the site folder."""
    folder = Path(folder)
    source, target = folder / 'src', folder / 'site'
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                           cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert 'setup.py' in files and \
        'configs/demo/retinanet_poolformer_s12_demo.py' in files
    for name in files:
        if osp.isfile(osp.join(ROOT, name)):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(osp.join(ROOT, name), source / name)
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
        '--no-build-isolation', '--target', str(target), str(source)
    ], check=True, capture_output=True)
    return target
