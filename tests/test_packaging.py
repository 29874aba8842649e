"""An installed copy ships configs and tools under ``mmpoolformer/.mim``, so
``mmpoolformer::`` config paths resolve, from a regular and from an editable
install.

mmengine resolves ``package::folder/file.py`` (a folder is required) and only
after the package is imported, as tools/train.py does."""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_installed_copy_resolves_mmpoolformer_config_paths(tmp_path):
    source = tmp_path / 'src'
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                           cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    assert 'setup.py' in files and \
        'configs/demo/retinanet_poolformer_s12_demo.py' in files
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    target = tmp_path / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps',
        '--no-build-isolation', '--target', str(target), str(source)
    ], check=True, capture_output=True)
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
