"""Dataset folders and annotation files that do not exist are named before
any dataset is built."""
import os.path as osp
from typing import Any, Mapping, Optional

from .errors import MissingDataError
from .wrapped import wrapped_datasets

# Where the datasets of each library's configs are explained.
DATASET_DOCS = {
    'mmdet': 'docs/detection_segmentation.md',
    'mmseg': 'docs/detection_segmentation.md'
}


def check_dataset_folders(dataloaders: Mapping[str, Any],
                          scope: Optional[str] = None) -> None:
    """Checks that the data roots, image / label folders and annotation files
    of dataloader configs exist, in the datasets they wrap too.

    Args:
        dataloaders (Mapping[str, Any]): Dataloader configs by the name the
            error gives them, e.g. ``{'train_dataloader':
            cfg.train_dataloader}``. None, built dataloaders and built
            datasets are passed over, and so are remote data roots.
        scope (str, optional): The config's ``default_scope``; for mmdet
            and mmseg the error points to the docs that prepare their
            datasets. Defaults to None.

    Raises:
        MissingDataError: a local ``data_root``, ``data_prefix`` folder or
            ``ann_file`` is missing.
    """
    docs = DATASET_DOCS.get(scope)
    hint = f'; see {docs} to prepare it' if docs else ''
    for name, loader in dataloaders.items():
        if not isinstance(loader, dict):
            continue
        for where, dataset in wrapped_datasets(
                loader.get('dataset'), f'{name}.dataset'):
            if isinstance(dataset, dict):
                _check_dataset(dataset, where, hint)


def _check_dataset(dataset: dict, where: str, hint: str) -> None:
    root = dataset.get('data_root') or ''
    if '://' in root:
        return
    if root and not osp.isdir(root):
        raise MissingDataError(f'dataset folder not found: {root} '
                               f'({where}.data_root){hint}')
    prefixes = dataset.get('data_prefix') or {}
    if isinstance(prefixes, str):  # mmpretrain takes a bare folder
        prefixes = {'': prefixes}
    for key, prefix in prefixes.items():
        folder = osp.join(root, prefix)
        if prefix and not osp.isdir(folder):
            field = f'data_prefix.{key}' if key else 'data_prefix'
            raise MissingDataError(f'dataset folder not found: {folder} '
                                   f'({where}.{field}){hint}')
    ann_file = dataset.get('ann_file') or ''
    ann_path = osp.join(root, ann_file)
    if ann_file and not osp.isfile(ann_path):
        raise MissingDataError(f'annotation file not found: {ann_path} '
                               f'({where}.ann_file){hint}')
