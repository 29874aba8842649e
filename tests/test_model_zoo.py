"""The model zoo that mim reads: model-index.yml imports configs/metafile.yml,
which lists every config with the fields and metric names of mmdet's, mmseg's
and mmpretrain's metafiles; ``mim search``, ``mim train`` and ``mim test``
work on an installed copy of the package.

mim looks for a package's files in ``<location of its distribution>/
mmpoolformer/.mim``, in site-packages for ``make install``'s editable install,
which links it there (docs/model_zoo.md): mim runs in the suite's own
environment, and with a regular copy installed by pip into a temporary
folder, first on ``PYTHONPATH``, with this Python, offline.
"""
import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import torch
from mmengine.config import Config
from modelindex import load

from mmpoolformer.analysis import (DEFAULT_SHAPES, build_model,
                                   count_complexity, dummy_batch)
from mmpoolformer.deploy import TensorMode
from tool_runs import assert_ok, final_metrics, install_copy, make_demo_data

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / 'configs'
UPSTREAM = ('mmdet', 'mmseg', 'mmpretrain')
# The metric names the OpenMMLab metafiles use, by task.
METRICS = {
    'Image Classification': {'Top 1 Accuracy', 'Top 5 Accuracy'},
    'Object Detection': {'box AP'},
    'Instance Segmentation': {'mask AP'},
    'Semantic Segmentation': {'mIoU'},
}
DATASETS = {'ImageNet-1k', 'COCO', 'ADE20K'}
# How a config's header states a paper result: "Paper: top-1 77.2, ...".
HEADER_NAMES = {
    'Top 1 Accuracy': 'top-1',
    'box AP': 'box AP',
    'mask AP': 'mask AP',
    'mIoU': 'mIoU'
}
# What every model has, in its own Metadata or its collection's.
METADATA = ('Parameters', 'FLOPs', 'Training Data', 'Training Techniques',
            'Architecture', 'Training Resources', 'Batch Size')
# Configs whose counts the test recomputes: all kinds of classifier, a
# segmentor and a demo with FLOPs; the detectors (FLOPs at 800x1280 take a
# minute) by their parameters.
COUNTED = ('poolformer_s12_in1k', 'metaformer_ppaa_s12_in1k',
           'caformer_s18_in1k', 'fpn_poolformer_s12_ade20k_40k',
           'poolformer_s12_demo_cls')
DETECTORS = ('mask_rcnn_poolformer_s12_coco', 'retinanet_convformer_s18_coco',
             'retinanet_poolformer_s12_demo')
# The docs whose tables list models of the metafile by name.
ZOO_TABLES = ('README.md', 'docs/model_zoo.md')
# A table column of those docs and the metafile result it shows.
RESULT_COLUMNS = {
    'paper top-1': 'Top 1 Accuracy',
    'official top-1': 'Top 1 Accuracy',
    'top-1': 'Top 1 Accuracy',
    'paper box AP': 'box AP',
    'box AP': 'box AP',
    'paper mask AP': 'mask AP',
    'mask AP': 'mask AP',
    'paper mIoU': 'mIoU',
    'mIoU': 'mIoU',
}
DEMO = 'configs/demo/retinanet_poolformer_s12_demo.py'


@pytest.fixture(scope='module')
def zoo():
    """The model index as mim loads it."""
    return load(str(ROOT / 'model-index.yml'))


def models_of(zoo):
    models = {model.name: model for model in zoo.models}
    assert len(models) == len(zoo.models) >= 32
    return models


def metadata(zoo, model):
    """The model's Metadata over its collection's, as mim shows them."""
    collection = next(c for c in zoo.collections
                      if c.name == model.in_collection)
    return {**collection.metadata.data, **model.metadata.data}


def header(config):
    """The comment lines a config starts with, as one line."""
    lines = []
    for line in (ROOT / config).read_text().splitlines():
        if not line.startswith('#'):
            break
        lines.append(line.lstrip('# '))
    return ' '.join(lines)


def table_rows(doc, names):
    """{name: {column: cell}} of every Markdown table row of ``doc`` whose
    first cell is a model's name (plain, in backticks or a link's text)."""
    rows, columns = {}, None
    for line in (ROOT / doc).read_text().splitlines():
        if not line.startswith('|'):
            columns = None
            continue
        cells = [cell.strip() for cell in line.strip('|').split('|')]
        if columns is None:
            columns = cells
            continue
        name = re.sub(r'^\[?`?([\w/]+?)`?(\]\(.*\))?$', r'\1', cells[0])
        name = name.split('/')[-1]
        if name in names:
            assert name not in rows, f'{doc}: {name} twice'
            rows[name] = dict(zip(columns, cells))
    return rows


def results_of(model):
    return {metric: value for result in model.results or ()
            for metric, value in result.metrics.items()}


@pytest.mark.parametrize('doc', ZOO_TABLES)
def test_the_zoo_tables_show_the_metafile(zoo, doc):
    """Each params, MACs and paper result a zoo table shows is the
    metafile's (which the counting tests tie to the configs); the model
    zoo lists every model."""
    models = models_of(zoo)
    rows = table_rows(doc, models)
    assert len(rows) >= 30
    if doc == 'docs/model_zoo.md':
        assert sorted(set(models) - set(rows)) == []
    for name, row in rows.items():
        data = models[name].metadata.data
        assert row['params'] == f"{data['Parameters'] / 1e6:.2f}M", name
        assert row['MACs'] == f"{data['FLOPs'] / 1e9:.2f}G", name
        results = results_of(models[name])
        shown = {RESULT_COLUMNS[column]: cell
                 for column, cell in row.items() if column in RESULT_COLUMNS}
        # A table without result columns (the demos', the ablations
        # without weights) is for models without results.
        assert shown or results == {}, f'{doc}: {name} shows no result'
        for metric, cell in shown.items():
            if metric in results:
                assert cell == str(results[metric]), (name, metric)
            else:
                assert cell == '-', (name, metric)


def test_the_index_loads_without_errors(zoo):
    assert zoo.check(silent=True) == []
    for model in models_of(zoo).values():
        assert Path(model.config).stem == model.name
        assert model.in_collection in {c.name for c in zoo.collections}


def test_every_config_is_listed_once(zoo):
    shipped = sorted(
        str(path.relative_to(ROOT)) for path in CONFIGS.rglob('*.py')
        if not any(
            part.startswith('_')
            for part in path.relative_to(CONFIGS).parts))
    assert len(shipped) >= 32
    assert sorted(model.config for model in zoo.models) == shipped
    # mim train / test find a config by its file name.
    names = [Path(config).name for config in shipped]
    assert len(set(names)) == len(names)


def test_every_model_has_the_standard_metadata(zoo):
    for name, model in models_of(zoo).items():
        data = metadata(zoo, model)
        assert set(METADATA) <= set(data), name
        for key in ('Parameters', 'FLOPs', 'Batch Size'):
            assert isinstance(data[key], int) and data[key] > 0, (name, key)
        schedule = [key for key in ('Epochs', 'Iterations') if key in data]
        assert len(schedule) == 1 and data[schedule[0]] > 0, name
        for key in ('Training Techniques', 'Architecture'):
            assert isinstance(data[key], list) and data[key], (name, key)
        assert re.fullmatch(r'\d+x (GPUs|CPU)', data['Training Resources'])


def test_results_have_standard_names_and_are_the_papers(zoo):
    with_results = 0
    for name, model in models_of(zoo).items():
        if not model.results:
            continue
        with_results += 1
        source = model.metadata.data['Results From']
        assert source.startswith('paper'), name
        stated = header(model.config)
        for result in model.results:
            assert result.dataset in DATASETS, name
            assert set(result.metrics) <= METRICS[result.task], name
            for metric, value in result.metrics.items():
                assert 0 < value < 100, name
                assert f'{HEADER_NAMES[metric]} {value}' in stated, \
                    f'{name}: the config does not state {metric} {value}'
    assert with_results >= 21


def upstream_model(url):
    """The model of an installed mmdet, mmseg or mmpretrain metafile that
    releases ``url``, or None."""
    for library in UPSTREAM:
        package = Path(importlib.import_module(library).__file__).parent
        for metafile in package.glob('.mim/configs/*/metafile.y*ml'):
            if url in metafile.read_text():
                for model in load(str(metafile)).models:
                    if model.weights == url:
                        return model
    return None


def test_weights_are_well_formed_and_traced_to_their_release(zoo):
    with_weights = 0
    for name, model in models_of(zoo).items():
        url = model.weights
        if url is None:
            continue
        with_weights += 1
        parts = urlparse(url)
        assert parts.scheme == 'https' and parts.netloc, url
        assert parts.path.endswith(('.pth', '.pth.tar')), url
        assert not re.search(r'\s', url) and not parts.query, url
        if url in (ROOT / model.config).read_text():
            continue
        # Not the config's own: another OpenMMLab library releases it, for
        # the same backbone, with the result the label quotes.
        upstream = upstream_model(url)
        assert upstream is not None, f'{name}: {url} is nowhere'
        arch = model.metadata.data['Architecture'][0].split('-')[-1].lower()
        assert f'_{arch}_' in upstream.name, (name, upstream.name)
        for result in upstream.results:
            for metric, value in result.metrics.items():
                assert f'{metric} {value}' in \
                    model.metadata.data['Results From'], name
    assert with_weights >= 15


def count(config, flops):
    """The parameters and (if ``flops``) the FLOPs that tools/get_flops.py
    counts for ``config`` at its default image size."""
    cfg = Config.fromfile(ROOT / config)
    model = build_model(cfg)
    counts = {'Parameters': sum(p.numel() for p in model.parameters())}
    if flops:
        shape = DEFAULT_SHAPES[cfg.default_scope]
        with torch.no_grad():
            data = model.data_preprocessor(
                dummy_batch(cfg.default_scope, shape))
            counts['FLOPs'] = count_complexity(
                TensorMode(model, data['data_samples']).eval(),
                (data['inputs'], ))['macs']
    return cfg, counts


def check_counts(zoo, name, flops):
    """The model's counts and schedule are its config's."""
    model = models_of(zoo)[name]
    data = metadata(zoo, model)
    cfg, counts = count(model.config, flops)
    assert {key: data[key] for key in counts} == counts
    devices = int(data['Training Resources'].split('x')[0])
    assert data['Batch Size'] == devices * cfg.train_dataloader.batch_size
    if 'Epochs' in data:
        assert data['Epochs'] == cfg.train_cfg.max_epochs
    else:
        assert data['Iterations'] == cfg.train_cfg.max_iters


@pytest.mark.parametrize('name', COUNTED)
def test_parameters_flops_and_schedule_are_the_configs(zoo, name):
    check_counts(zoo, name, flops=True)


@pytest.mark.parametrize('name', DETECTORS)
def test_detector_parameters_and_schedule_are_the_configs(zoo, name):
    check_counts(zoo, name, flops=False)


def test_mim_finds_the_install_the_suite_runs_in(zoo, tmp_path):
    """What ``make install`` installs (editable, the package in the
    checkout) is what mim sees: ``mim search`` lists every model, ``mim
    train`` trains the RetinaNet demo two iterations with the package's
    tools and ``mim run`` runs one of them."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}

    def mim_here(*args):
        result = subprocess.run([sys.executable, '-m', 'mim', *map(str, args)],
                                cwd=tmp_path, env=env, capture_output=True,
                                text=True)
        assert_ok(result)
        return result.stdout

    listed = mim_here('search', 'mmpoolformer', '--valid-config')
    ids = ast.literal_eval(listed.split('valid config ids:')[1])
    assert sorted(ids) == sorted(models_of(zoo))
    make_demo_data(tmp_path, num_train=2, num_val=1)
    trained = mim_here('train', 'mmpoolformer', DEMO, '--work-dir', 'work',
                       '--cfg-options', 'train_cfg.max_iters=2',
                       'train_dataloader.batch_size=2')
    assert '/site-packages/mmpoolformer/.mim/tools/train.py ' in trained
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    mim_here('run', 'mmpoolformer', 'make_demo_data', '--out', 'more',
             '--num-train', '1', '--num-val', '1')
    assert (tmp_path / 'more' / 'annotations' / 'instances_val.json').is_file()


@pytest.fixture(scope='module')
def installed(module_tmp_path):
    """A regular install of this checkout (its git files, as committed or
    not) in a temporary folder, as ``pip install .`` makes it."""
    target = install_copy(module_tmp_path)
    shipped = target / 'mmpoolformer' / '.mim'
    for item in ('model-index.yml', 'configs', 'tools', 'demo'):
        assert (shipped / item).exists(), item
    return target


def mim(site, *args, cwd):
    """``mim ARGS`` with this Python, the install in ``site`` first."""
    return subprocess.run([sys.executable, '-m', 'mim', *map(str, args)],
                          cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(site)),
                          capture_output=True,
                          text=True)


def test_mim_search_lists_every_model(zoo, installed, tmp_path):
    names = sorted(models_of(zoo))
    ids = mim(installed, 'search', 'mmpoolformer', '--valid-config',
              cwd=tmp_path)
    assert_ok(ids)
    assert sorted(ast.literal_eval(
        ids.stdout.split('valid config ids:')[1].strip())) == names
    table = mim(installed, 'search', 'mmpoolformer', cwd=tmp_path)
    assert_ok(table)
    for name in names:
        assert f'config id: {name}\n' in table.stdout
    assert re.search(r'coco/box_ap +36\.2\n', table.stdout)
    assert re.search(r'parameters +11915176\n', table.stdout)
    fpn = mim(installed, 'search', 'mmpoolformer', '--model', 'semantic fpn',
              '--valid-config', cwd=tmp_path)
    assert sorted(ast.literal_eval(
        fpn.stdout.split('valid config ids:')[1].strip())) == [
            name for name in names if name.endswith('_ade20k_40k')
        ]


def test_mim_train_test_and_run_use_the_installed_copy(zoo, installed,
                                                       tmp_path):
    """Two training iterations of the RetinaNet demo, a test of their
    checkpoint and a count of its parameters: mim finds the config and the
    tools in the installed copy (the config path given does not exist where
    they run)."""
    parameters = models_of(zoo)[Path(DEMO).stem].metadata.data['Parameters']
    make_demo_data(tmp_path, num_train=2, num_val=1)
    shipped = installed / 'mmpoolformer' / '.mim'
    config = shipped / 'configs' / 'demo' / Path(DEMO).name
    work_dir = tmp_path / 'work_dir'
    keep_all = 'model.test_cfg.score_thr=0'
    train = mim(installed, 'train', 'mmpoolformer', DEMO, '--work-dir',
                work_dir, '--cfg-options', 'train_cfg.max_iters=2',
                'train_dataloader.batch_size=2', keep_all, cwd=tmp_path)
    assert_ok(train)
    assert f'{shipped / "tools" / "train.py"} {config} ' in train.stdout
    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()

    test = mim(installed, 'test', 'mmpoolformer', DEMO, '--checkpoint',
               checkpoint, '--work-dir', work_dir, '--no-fuse',
               '--cfg-options', keep_all, cwd=tmp_path)
    assert_ok(test)
    assert f'{shipped / "tools" / "test.py"} {config} {checkpoint} ' in \
        test.stdout
    tested = final_metrics(test.stdout + test.stderr, 'test')
    assert 'coco/bbox_mAP' in tested
    # The checkpoint holds the model that training validated at its end.
    assert tested == final_metrics(train.stdout + train.stderr, 'val')

    # mim 0.3.9 runs the scripts of .mim/tools, or of .mim/demo where there
    # are no tools: not demo/image_demo.py.
    counted = mim(installed, 'run', 'mmpoolformer', 'get_flops', config,
                  '--shape', 128, cwd=tmp_path)
    assert_ok(counted)
    assert f'Use the script {shipped / "tools" / "get_flops.py"} ' in \
        counted.stdout
    assert f'params: {parameters / 1e6:.2f}M' in counted.stdout
