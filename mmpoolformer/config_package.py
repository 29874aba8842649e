"""Lets mmengine resolve ``mmpoolformer::`` config paths.

mmengine resolves ``package::folder/config.py`` only for packages listed in
its ``MODULE2PACKAGE`` table, inside the installed package's ``.mim/configs``
(which setup.py ships). Adding our entry is the same as the OpenMMLab
packages have.

mmengine finds the package folder from the distribution's location, which
for an editable (PEP 660) install is site-packages, where no ``mmpoolformer``
folder is: for our package it gets the folder of the imported copy instead.
"""
import functools
import os.path as osp
from typing import Callable

import mmengine.config.config
import mmengine.hub.hub
from mmengine.config.utils import MODULE2PACKAGE

PACKAGE = 'mmpoolformer'
PACKAGE_DIR = osp.dirname(osp.abspath(__file__))


def _ours_from_the_imported_copy(get_installed_path: Callable) -> Callable:
    if getattr(get_installed_path, 'mmpoolformer_aware', False):
        return get_installed_path

    @functools.wraps(get_installed_path)
    def installed_path(package: str) -> str:
        if package == PACKAGE:
            return PACKAGE_DIR
        return get_installed_path(package)

    installed_path.mmpoolformer_aware = True
    return installed_path


def register_config_package() -> None:
    MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    for module in (mmengine.config.config, mmengine.hub.hub):
        module.get_installed_path = _ours_from_the_imported_copy(
            module.get_installed_path)
