from .annotation_checks import as_annotation_error
from .errors import DataError, MissingDataError
from .folder_checks import check_dataset_folders
from .sample_checks import CheckedPipeline, check_samples
from .wrapped import wrapped_datasets

__all__ = ['CheckedPipeline', 'DataError', 'MissingDataError',
           'as_annotation_error', 'check_dataset_folders', 'check_samples',
           'wrapped_datasets']
