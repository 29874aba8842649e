"""An installed copy ships configs and tools under ``mmpoolformer/.mim``, so
``mmpoolformer::`` config paths resolve, from a regular and from an editable
install. What ``pip install .`` asks for are version ranges around the tested
versions; the licence (Apache 2.0) and the citation file say what they
should.

mmengine resolves ``package::folder/file.py`` (a folder is required) and only
after the package is imported, as tools/train.py does."""
import ast
import os
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from tool_runs import install_copy

ROOT = Path(__file__).resolve().parents[1]


def test_installed_copy_resolves_mmpoolformer_config_paths(tmp_path):
    target = install_copy(tmp_path)
    shipped = target / 'mmpoolformer' / '.mim'
    assert (shipped / 'configs' / 'retinanet_poolformer_s12_coco.py').is_file()
    assert (shipped / 'configs' / 'demo' /
            'retinanet_poolformer_s12_demo.py').is_file()
    assert (shipped / 'tools' / 'train.py').is_file()

    user_config = tmp_path / 'user_config.py'
    user_config.write_text(textwrap.dedent("""
        _base_ = 'mmpoolformer::demo/retinanet_poolformer_s12_demo.py'
        train_cfg = dict(max_iters=7)
    """))
    code = textwrap.dedent(f"""
        import mmpoolformer
        from mmengine.config import Config
        cfg = Config.fromfile({str(user_config)!r})
        print('FROM', mmpoolformer.__file__)
        print('BACKBONE', cfg.model.backbone.type, cfg.train_cfg.max_iters)
    """)
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f'FROM {target}' in out.stdout
    assert 'BACKBONE mmpoolformer.PoolFormer 7' in out.stdout


def test_the_editable_install_resolves_mmpoolformer_config_paths(tmp_path):
    """``make install`` installs us in editable mode, where mmengine's own
    lookup gives site-packages/mmpoolformer, which does not exist."""
    user_config = tmp_path / 'user_config.py'
    user_config.write_text(textwrap.dedent("""
        _base_ = 'mmpoolformer::demo/fpn_poolformer_s12_demo.py'
        model = dict(backbone=dict(drop_path_rate=0.2))
    """))
    code = textwrap.dedent(f"""
        import mmpoolformer
        from mmengine.config import Config
        from mmengine.hub import get_config
        cfg = Config.fromfile({str(user_config)!r})
        print('FROM', mmpoolformer.__file__)
        print('BACKBONE', cfg.model.backbone.type,
              cfg.model.backbone.drop_path_rate, cfg.train_cfg.max_iters)
        hub = get_config('mmpoolformer::demo/mask_rcnn_poolformer_s12_demo.py')
        print('HUB', hub.model.type, hub.model.backbone.arch)
    """)
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f'FROM {ROOT / "mmpoolformer" / "__init__.py"}' in out.stdout
    assert 'BACKBONE mmpoolformer.PoolFormer 0.2 1200' in out.stdout
    assert 'HUB MaskRCNN s12' in out.stdout


def setup_arguments():
    """The keyword arguments setup.py gives ``setup()``: literals read from
    its source, ``install_requires`` from its ``requirements()``."""
    source = (ROOT / 'setup.py').read_text()
    call = next(node for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Call)
                and getattr(node.func, 'id', None) == 'setup')
    arguments = {
        keyword.arg: ast.literal_eval(keyword.value)
        for keyword in call.keywords
        if keyword.arg in ('license', 'extras_require')
    }
    module = runpy.run_path(str(ROOT / 'setup.py'), run_name='setup')
    arguments['install_requires'] = module['requirements']()
    return arguments


def test_requirements_are_ranges_around_the_tested_versions():
    """``pip install .`` asks for ranges, never one version, and each range
    holds the version the repository is tested with
    (requirements/build.txt and requirements/all.txt pin those)."""
    arguments = setup_arguments()
    requirements = [
        Requirement(line) for line in (
            *arguments['install_requires'],
            *(line for extra in arguments['extras_require'].values()
              for line in extra))
    ]
    assert {'torch', 'mmengine', 'mmcv', 'mmdet', 'mmsegmentation',
            'mmpretrain'} <= {requirement.name for requirement in requirements}
    tested = {}
    for name in ('build.txt', 'all.txt'):
        for line in (ROOT / 'requirements' / name).read_text().splitlines():
            if '==' in line and not line.startswith('#'):
                pin = Requirement(line)
                tested[pin.name] = next(iter(pin.specifier)).version
    checked = 0
    for requirement in requirements:
        operators = {spec.operator for spec in requirement.specifier}
        assert not operators & {'==', '==='}, str(requirement)
        if requirement.name in tested:
            assert requirement.specifier.contains(
                tested[requirement.name]), (str(requirement), tested)
            checked += 1
    assert checked >= 6


def test_license_is_apache_2():
    text = (ROOT / 'LICENSE').read_text()
    assert 'Apache License' in text and 'Version 2.0, January 2004' in text
    assert 'TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION' \
        in text
    assert text.startswith('Copyright 2026 mmpoolformer contributors\n')
    assert setup_arguments()['license'] == 'Apache License 2.0'


def test_citation_file():
    """CITATION.cff (Citation File Format 1.2.0) cites the software, at its
    version and licence, and prefers the PoolFormer paper."""
    citation = yaml.safe_load((ROOT / 'CITATION.cff').read_text())
    assert citation['cff-version'] == '1.2.0'
    for key in ('message', 'title', 'authors'):
        assert citation[key]
    assert citation['type'] == 'software'
    version = runpy.run_path(str(ROOT / 'mmpoolformer' / 'version.py'))
    assert citation['version'] == version['__version__']
    assert citation['license'] == 'Apache-2.0'
    paper = citation['preferred-citation']
    assert paper['type'] == 'conference-paper'
    assert paper['title'] == 'MetaFormer is Actually What You Need for Vision'
    assert [(author['given-names'], author['family-names'])
            for author in paper['authors']] == [
                ('Weihao', 'Yu'), ('Mi', 'Luo'), ('Pan', 'Zhou'),
                ('Chenyang', 'Si'), ('Yichen', 'Zhou'), ('Xinchao', 'Wang'),
                ('Jiashi', 'Feng'), ('Shuicheng', 'Yan')]
    assert 'CVPR' in paper['conference']['name']
    assert (paper['year'], paper['start'], paper['end']) == (2022, 10819,
                                                              10829)
    assert '2111.11418' in paper['url']
