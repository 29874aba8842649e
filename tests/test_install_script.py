"""tools/install/install.sh walked end to end in seconds: a stand-in Python
answers the script's pip and import calls (it "downloads" a tiny mmcv source
tree and "compiles" it), so the script's own logic runs for real: path
handling with a relative VENV from another folder, the build in the unpacked
source folder, the wheel cache and its recipe key, progress lines and the
failure line."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ROOT / 'tools' / 'install' / 'install.sh'

# Answers the calls install.sh makes of the venv's python, logging each one
# with the folder it ran in. STANDIN_FAIL_BUILD=1 makes the mmcv build fail.
# A "wheel" installs when it holds GOOD_WHEEL, and then mmcv.ops imports.
STANDIN = textwrap.dedent('''\
    #!{python}
    import os, sys, tarfile, time, io
    from pathlib import Path
    args = sys.argv[1:]
    # `-m pip --disable-pip-version-check COMMAND ...`: COMMAND
    pip = next((a for a in args[2:] if not a.startswith('-')), None) \
        if args[:2] == ['-m', 'pip'] else None
    with open(os.environ['STANDIN_LOG'], 'a') as log:
        log.write(os.getcwd() + ' | ' + ' '.join(args) + '\\n')
    if args[:2] == ['-m', 'venv']:
        venv = Path(args[2])
        (venv / 'bin').mkdir(parents=True)
        (venv / 'bin' / 'python').write_text(Path(__file__).read_text())
        (venv / 'bin' / 'python').chmod(0o755)
    elif args[:1] == ['-c']:
        code = args[1]
        if 'version_info' in code:  # 3.11 or newer?
            sys.exit(1 if os.environ.get('STANDIN_PYTHON_310') else 0)
        if 'python_version()' in code:
            print('3.10.12')
            sys.exit(0)
        if 'import mmcv, mmcv.ops' in code and 'assert' in code:
            # built and installed into this venv?
            sys.exit(0 if Path(sys.argv[0] + '-mmcv').exists() else 1)
        if 'purelib' in code:  # the venv's site-packages
            print(Path(sys.argv[0]).parents[1] / 'lib' / 'site-packages')
        elif 'torch.version.cuda if' in code:
            print('2.14.1 ' + os.environ.get('STANDIN_CUDA', 'cpu'))
        elif 'print(' in code:
            print('versions')
    elif pip == 'install' and args[-1].endswith('.whl'):
        if Path(args[-1]).read_text() != 'GOOD_WHEEL':
            print('zipfile.BadZipFile: File is not a zip file')
            sys.exit(1)
        Path(sys.argv[0] + '-mmcv').touch()
    elif pip == 'download':
        folder = Path(args[args.index('-d') + 1])
        with tarfile.open(folder / 'mmcv-2.1.0.tar.gz', 'w:gz') as tar:
            for name, text in (('setup.py', '-std=c++17'),
                               ('mmcv/ops/csrc/pytorch/a.cpp', ''),
                               ('mmcv/ops/csrc/pytorch/cpu/b.cpp', '')):
                data = text.encode()
                info = tarfile.TarInfo('mmcv-2.1.0/' + name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    elif pip == 'wheel':
        assert '-std=c++20' in Path('setup.py').read_text()
        Path('build').mkdir()
        Path('build/a.o').touch()
        print('[1/2] c++ a.cpp', flush=True)  # ninja's counter
        time.sleep(2.5)
        if os.environ.get('STANDIN_FAIL_BUILD'):
            print('a.cpp:1: error: something the compiler said')
            sys.exit(1)
        out = Path(args[args.index('-w') + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / 'mmcv-2.1.0-cp311-cp311-linux_x86_64.whl').write_text(
            'GOOD_WHEEL')
    ''')


def run_install(tmp_path, venv_arg, install=INSTALL, **env):
    standin = tmp_path / 'python3-standin'
    standin.write_text(STANDIN.format(python=sys.executable))
    standin.chmod(0o755)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir(exist_ok=True)
    environ = dict(
        os.environ,
        PYTHON=str(standin),
        STANDIN_LOG=str(tmp_path / 'calls.log'),
        MMPOOLFORMER_CACHE=str(tmp_path / 'cache'),
        MMPOOLFORMER_PROGRESS_SECONDS='1',
        **env)
    result = subprocess.run(['bash', str(install), venv_arg],
                            cwd=elsewhere,
                            env=environ,
                            capture_output=True,
                            text=True,
                            timeout=120)
    calls = (tmp_path / 'calls.log').read_text().splitlines()
    return result, calls


def test_a_relative_venv_from_another_folder_builds_mmcv_and_installs(
        tmp_path):
    result, calls = run_install(tmp_path, 'relative/venv')
    assert result.returncode == 0, result.stdout + result.stderr
    venv = tmp_path / 'elsewhere' / 'relative' / 'venv'
    assert (venv / '.mmpoolformer-installed').is_file()
    assert f'[install] virtual environment: {venv}\n' in result.stdout
    # The wheel was built inside the unpacked source, by the venv's python,
    # and went into the cache, in a folder named by its recipe's key, with
    # the recipe beside it.
    builds = [c for c in calls if 'check wheel ' in c]
    assert len(builds) == 1 and builds[0].split(' | ')[0].endswith(
        'mmcv-2.1.0')
    wheels = list((tmp_path / 'cache' / 'wheels').glob('*/*.whl'))
    assert len(wheels) == 1
    assert wheels[0].parent.name.startswith('mmcv-2.1.0-cpu-')
    assert any(f'install -q --no-deps --force-reinstall {wheels[0]}' in c
               for c in calls)
    recipe = (wheels[0].parent / 'recipe.txt').read_text()
    assert "sed -i 's/-std=c++17/-std=c++20/g'" in recipe
    assert 'MMCV_WITH_OPS=1' in recipe
    assert 'torch 2.14.1, cpu, FORCE_CUDA=0' in recipe
    assert 'torch==2.14.1' in recipe and 'compiler: ' in recipe
    # Progress while compiling: the time and the files compiled.
    assert '[install] compiling mmcv: 0 min ' in result.stdout
    assert '1 of 2 source files compiled' in result.stdout
    assert '[install] compiled mmcv in 0 min' in result.stdout
    # mmpoolformer editable, its .mim linked where mim looks for it.
    assert any(c.endswith(f'-e {ROOT}') for c in calls)
    mim_dir = venv / 'lib' / 'site-packages' / 'mmpoolformer' / '.mim'
    assert mim_dir.is_symlink()
    assert mim_dir.resolve() == (ROOT / 'mmpoolformer' / '.mim').resolve()


def test_a_second_install_takes_the_cached_wheel(tmp_path):
    first, _ = run_install(tmp_path, 'venv-a')
    assert first.returncode == 0, first.stderr
    second, calls = run_install(tmp_path, str(tmp_path / 'venv-b'))
    assert second.returncode == 0, second.stderr
    assert 'using the cached wheel' in second.stdout
    assert sum('check wheel ' in c for c in calls) == 1  # the first build only


def cached_wheels(tmp_path):
    return sorted((tmp_path / 'cache' / 'wheels').glob('*/*.whl'))


def copy_of_the_install_script(tmp_path, edit=lambda text: text):
    """A repository of install.sh and requirements/ only, with ``edit``
    applied to the script's text, for a recipe that differs from ours."""
    root = tmp_path / 'copy'
    (root / 'tools' / 'install').mkdir(parents=True, exist_ok=True)
    (root / 'tools' / 'install' / 'install.sh').write_text(
        edit(INSTALL.read_text()))
    (root / 'requirements').mkdir(exist_ok=True)
    for name in ('build.txt', 'all.txt'):
        (root / 'requirements' / name).write_text(
            (ROOT / 'requirements' / name).read_text())
    return root / 'tools' / 'install' / 'install.sh'


def test_a_changed_recipe_line_builds_again(tmp_path):
    first, _ = run_install(tmp_path, 'venv-a')
    assert first.returncode == 0, first.stderr
    # One flag more in the build command: another key, a cold build.
    script = copy_of_the_install_script(
        tmp_path, lambda text: text.replace('MMCV_WITH_OPS=1 ',
                                            'MMCV_WITH_OPS=1 EXTRA=1 '))
    second, calls = run_install(tmp_path, 'venv-b', install=script)
    assert second.returncode == 0, second.stderr
    assert 'no cached wheel for recipe key' in second.stdout
    assert sum('check wheel ' in c for c in calls) == 2
    assert len(cached_wheels(tmp_path)) == 2
    # A comment or a progress message is no part of the recipe: same key.
    script = copy_of_the_install_script(
        tmp_path, lambda text: text.replace(
            "'[install] compiled mmcv in", "'[install] mmcv compiled in"
        ).replace('# The mmcv build recipe.', '# The recipe.'))
    third, calls = run_install(tmp_path, 'venv-c', install=script)
    assert 'using the cached wheel' in third.stdout
    assert sum('check wheel ' in c for c in calls) == 2


def test_another_compiler_or_pin_builds_again(tmp_path):
    compiler = tmp_path / 'c++'
    compiler.write_text('#!/bin/sh\necho "g++ (Debian 12.2.0) 12.2.0"\n')
    compiler.chmod(0o755)
    first, _ = run_install(tmp_path, 'venv-a', CXX=str(compiler))
    assert first.returncode == 0, first.stderr
    compiler.write_text('#!/bin/sh\necho "g++ (Debian 14.2.0) 14.2.0"\n')
    second, _ = run_install(tmp_path, 'venv-b', CXX=str(compiler))
    assert 'no cached wheel for recipe key' in second.stdout
    script = copy_of_the_install_script(tmp_path)
    build_txt = script.parents[2] / 'requirements' / 'build.txt'
    build_txt.write_text(build_txt.read_text().replace(
        'ninja', 'ninja>=1.11'))
    third, _ = run_install(tmp_path, 'venv-c', install=script,
                           CXX=str(compiler))
    assert 'no cached wheel for recipe key' in third.stdout
    assert len(cached_wheels(tmp_path)) == 3


def test_a_truncated_cached_wheel_is_built_again_with_one_line(tmp_path):
    first, _ = run_install(tmp_path, 'venv-a')
    assert first.returncode == 0, first.stderr
    wheel, = cached_wheels(tmp_path)
    wheel.write_text('GOOD_WH')  # cut short
    second, calls = run_install(tmp_path, 'venv-b')
    assert second.returncode == 0, second.stdout + second.stderr
    rebuilt = [line for line in second.stdout.splitlines()
               if 'does not install or import: building it again' in line]
    assert len(rebuilt) == 1
    assert sum('check wheel ' in c for c in calls) == 2
    assert cached_wheels(tmp_path)[0].read_text() == 'GOOD_WHEEL'
    assert (tmp_path / 'elsewhere' / 'venv-b' /
            '.mmpoolformer-installed').is_file()


def test_a_build_cut_off_before_its_recipe_was_written_is_not_used(
        tmp_path):
    first, _ = run_install(tmp_path, 'venv-a')
    assert first.returncode == 0, first.stderr
    wheel, = cached_wheels(tmp_path)
    (wheel.parent / 'recipe.txt').unlink()
    second, calls = run_install(tmp_path, 'venv-b')
    assert second.returncode == 0, second.stderr
    assert 'no cached wheel for recipe key' in second.stdout
    assert sum('check wheel ' in c for c in calls) == 2


def test_a_failed_build_ends_with_one_line_naming_the_step_and_the_retry(
        tmp_path):
    result, _ = run_install(tmp_path, 'venv', STANDIN_FAIL_BUILD='1')
    assert result.returncode == 1
    failed = [
        line for line in result.stderr.splitlines()
        if line.startswith('[install] FAILED')
    ]
    assert len(failed) == 1 and 'building mmcv 2.1.0' in failed[0]
    assert 'run `make install` again' in result.stderr
    # The compiler's last words are shown, and the full log is named.
    assert 'a.cpp:1: error: something the compiler said' in result.stderr
    assert str(tmp_path / 'cache' / 'mmcv-build.log') in result.stderr
    # Nothing half-built is left to be mistaken for a cached wheel.
    assert not list((tmp_path / 'cache' / 'wheels').glob('**/*.whl'))


def test_make_resolves_a_relative_venv_once_to_an_absolute_path(tmp_path):
    result = subprocess.run(
        ['make', '-n', '-C', str(ROOT), 'install', 'VENV=some/env'],
        cwd=tmp_path, capture_output=True, text=True, check=True)
    assert f'tools/install/install.sh "{ROOT}/some/env"' in result.stdout


def requirement_versions():
    """``{package: version}`` of the ``==`` pins in requirements/build.txt
    and requirements/all.txt."""
    pins = {}
    for name in ('build.txt', 'all.txt'):
        for line in (ROOT / 'requirements' / name).read_text().splitlines():
            if '==' in line and not line.startswith('#'):
                package, version = line.split('==')
                pins[package.strip()] = version.strip()
    return pins


def test_the_readme_pins_are_the_requirement_files():
    pins = requirement_versions()
    assert {'torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet',
            'mmsegmentation', 'mmpretrain'} <= set(pins)
    readme = (ROOT / 'README.md').read_text()
    table = readme.split('| package | version |')[1].split('\n\n')[0]
    rows = {
        cells[1].strip(): cells[2].strip()
        for cells in (line.split('|') for line in table.splitlines()[2:])
    }
    assert rows['torch / torchvision'].startswith(
        f"{pins['torch']} / {pins['torchvision']}")
    for package in ('mmengine', 'mmcv', 'mmdet', 'mmsegmentation',
                    'mmpretrain'):
        assert rows[package].split()[0].rstrip(',') == pins[package], package
    setuptools = next(
        line for line in (ROOT / 'requirements' / 'build.txt').read_text(
        ).splitlines() if line.startswith('setuptools'))
    low, high = setuptools.split('>=')[1].split(',<')
    assert rows['setuptools'].startswith(f'>= {low}, < {high}')


def test_an_older_python_is_refused_with_one_line(tmp_path):
    """Python 3.10 ends the install before the venv is made, naming the
    version and what to set instead."""
    result, calls = run_install(tmp_path, 'venv', STANDIN_PYTHON_310='1')
    assert result.returncode == 1
    assert 'is Python 3.10.12, mmpoolformer needs 3.11 or newer' in \
        result.stderr
    assert 'set PYTHON=/path/to/python3.11' in result.stderr
    assert not (tmp_path / 'elsewhere' / 'venv').exists()
    assert not any('-m venv' in call for call in calls)


def test_make_clean_removes_what_runs_write_and_keeps_the_install(tmp_path):
    """After ``make clean`` the editable install still finds its configs
    (mmpoolformer/.mim) and ``make test`` needs no new install."""
    (tmp_path / 'Makefile').write_text((ROOT / 'Makefile').read_text())
    written = ['work_dirs/run/iter_1.pth', 'data/demo/images/0.png']
    kept = ['mmpoolformer/.mim/model-index.yml',
            '.venv/.mmpoolformer-installed']
    for path in written + kept:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text('')
    result = subprocess.run(['make', 'clean'], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / 'work_dirs').exists()
    assert not (tmp_path / 'data' / 'demo').exists()
    assert all((tmp_path / path).exists() for path in kept)


@pytest.mark.parametrize('nvcc, force_cuda, built', [
    (False, None, '0'),
    (True, None, '1'),
    (True, '0', '0'),
    (False, '1', '1'),
])
def test_cuda_ops_follow_nvcc_unless_force_cuda_says(tmp_path, nvcc,
                                                     force_cuda, built):
    """With a CUDA torch, mmcv's CUDA ops are built where nvcc is found
    (here in CUDA_HOME/bin), else not; FORCE_CUDA decides instead when it
    is set."""
    cuda_home = tmp_path / 'cuda'
    (cuda_home / 'bin').mkdir(parents=True)
    if nvcc:
        (cuda_home / 'bin' / 'nvcc').write_text('#!/bin/sh\n')
        (cuda_home / 'bin' / 'nvcc').chmod(0o755)
    env = dict(STANDIN_CUDA='cu130', CUDA_HOME=str(cuda_home))
    if force_cuda is not None:
        env['FORCE_CUDA'] = force_cuda
    result, _ = run_install(tmp_path, 'venv', **env)
    assert result.returncode == 0, result.stdout + result.stderr
    recipes = list((tmp_path / 'cache' / 'wheels').glob('*/recipe.txt'))
    assert len(recipes) == 1
    assert f'torch 2.14.1, cu130, FORCE_CUDA={built}' in \
        recipes[0].read_text()
