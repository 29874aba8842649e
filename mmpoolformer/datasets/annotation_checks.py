"""Annotation files that cannot be parsed are named in the error."""
import os.path as osp
from typing import Any, List

from .errors import DataError

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
    if isinstance(dataset_cfg, (list, tuple)):
        return [f for item in dataset_cfg for f in annotation_files(item)]
    if not isinstance(dataset_cfg, dict):
        return []
    files = annotation_files(dataset_cfg.get('dataset')) + annotation_files(
        dataset_cfg.get('datasets'))
    root = dataset_cfg.get('data_root') or ''
    if dataset_cfg.get('ann_file'):
        files.append(osp.join(root, dataset_cfg['ann_file']))
    elif root and not files:
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
