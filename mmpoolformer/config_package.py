"""Lets mmengine resolve ``mmpoolformer::`` config paths.

mmengine resolves ``package::folder/config.py`` only for packages listed in
its ``MODULE2PACKAGE`` table, inside the installed package's ``.mim/configs``
(which setup.py ships). Adding our entry is the same as the OpenMMLab
packages have.
"""
from mmengine.config.utils import MODULE2PACKAGE


def register_config_package() -> None:
    MODULE2PACKAGE.setdefault('mmpoolformer', 'mmpoolformer')
