"""An installed (non-editable) copy ships configs and tools under
``mmpoolformer/.mim``, so ``mmpoolformer::`` config paths resolve.

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
