from .annotation_checks import as_annotation_error
from .errors import DataError
from .sample_checks import CheckedPipeline, check_samples

__all__ = ['CheckedPipeline', 'DataError', 'as_annotation_error',
           'check_samples']
