"""Packaging of mmpoolformer.

Install torch and mmcv (with ops) first: ``make install`` does it all, or see
the README for installing into an existing OpenMMLab environment.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_ITEMS = ('configs', 'tools', 'demo', 'model-index.yml')


def version() -> str:
    scope = {}
    with open(osp.join(ROOT, 'mmpoolformer', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension() -> None:
    """Ships configs/, tools/, demo/ and model-index.yml inside the package
    as ``mmpoolformer/.mim`` (links for editable installs, copies otherwise),
    the place where mmengine resolves ``mmpoolformer::`` config paths and
    mim finds the model index, configs and tools."""
    editable = bool({'develop', 'editable_wheel'} & set(sys.argv))
    mim_dir = osp.join(ROOT, 'mmpoolformer', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for item in MIM_ITEMS:
        src, dst = osp.join(ROOT, item), osp.join(mim_dir, item)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)


def requirements() -> list:
    with open(osp.join(ROOT, 'requirements', 'runtime.txt')) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmpoolformer',
        version=version(),
        description='PoolFormer / MetaFormer backbones for mmdet, mmseg and '
        'mmpretrain',
        long_description=open(osp.join(ROOT, 'README.md')).read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.11',
        # The checkout itself is the editable install's path entry (not a
        # path finder: see tools/install/install.sh).
        package_dir={'': '.'},
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'demo')),
        include_package_data=True,
        package_data={'mmpoolformer': ['.mim/**/*']},
        install_requires=requirements(),
        extras_require={
            'det': ['mmdet>=3.3.0,<3.4'],
            'seg': ['mmsegmentation>=1.2.2,<1.3', 'ftfy', 'regex'],
            'cls': ['mmpretrain>=1.2.0,<1.3'],
            'tests': [
                'pytest', 'pytest-xdist', 'hypothesis', 'timm', 'pycocotools',
                'onnx', 'onnxruntime'
            ],
        },
        zip_safe=False)
