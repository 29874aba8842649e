"""Annotation files that cannot be parsed are named in the error."""
import os.path as osp
from typing import Any, List

from .errors import DataError
from .wrapped import wrapped_datasets

# The method of mmengine's BaseDataset that parses the annotation file.
PARSER = 'load_data_list'


def _raised_by_parser(error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_name == PARSER:
            return True
        trace = trace.tb_next
    return False


def annotation_files(dataset_cfg: Any) -> List[str]:
    """The annotation files (``data_root`` + ``ann_file``, or the data root
    of datasets without one) of a dataset config and the datasets it
    wraps."""
    files = []
    for _, dataset in wrapped_datasets(dataset_cfg):
        if not isinstance(dataset, dict):
            continue
        root = dataset.get('data_root') or ''
        if dataset.get('ann_file'):
            files.append(osp.join(root, dataset['ann_file']))
        elif root:
            files.append(root)
    return files


def as_annotation_error(error: Exception, dataset_cfg: Any) -> Exception:
    """A :class:`DataError` naming the annotation files when ``error`` was
    raised while a dataset parsed them, else ``error`` itself."""
    if not _raised_by_parser(error):
        return error
    files = ', '.join(annotation_files(dataset_cfg)) or 'the dataset'
    return DataError(f'cannot load the annotations in {files}: '
                     f'{type(error).__name__}: {error}')
