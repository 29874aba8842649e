"""Samples that fail name their files instead of crashing a worker."""
from typing import Any, Callable, Optional

from .errors import DataError
from .wrapped import wrapped_datasets


def describe_sample(info: dict) -> str:
    """Names a sample by its image id and files, as far as it has them."""
    files = [info[key] for key in ('img_path', 'seg_map_path') if info.get(key)]
    image_id = info.get('img_id', info.get('sample_idx'))
    label = 'image id' if 'img_id' in info else 'sample'
    parts = [f'{label} {image_id}'] if image_id is not None else []
    return ', '.join(parts + files) or 'a sample'


class CheckedPipeline:
    """Runs a dataset's pipeline on one sample and turns any failure into a
    :class:`DataError` that names the sample's files; checks the label map
    that comes out against the dataset's classes.

    Args:
        pipeline (Callable): The dataset's pipeline.
        num_classes (int, optional): The number of classes a label map may
            hold (``0 .. num_classes - 1``). Defaults to None (no check).
        ignore_index (int): The label map value that marks pixels to
            ignore. Defaults to 255.
    """

    def __init__(self,
                 pipeline: Callable[[dict], Any],
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255) -> None:
        self.pipeline = pipeline
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def __call__(self, info: dict) -> Any:
        where = describe_sample(info)
        try:
            packed = self.pipeline(info)
        except DataError:
            raise
        except Exception as error:
            raise DataError(f'cannot load {where}: '
                            f'{type(error).__name__}: {error}') from error
        if isinstance(packed, dict) and self.num_classes is not None:
            self._check_label_map(packed, where)
        return packed

    def _check_label_map(self, packed: dict, where: str) -> None:
        label_map = getattr(packed.get('data_samples'), 'gt_sem_seg', None)
        if label_map is None:
            return
        values = label_map.data.unique()
        valid = ((values >= 0) & (values < self.num_classes)) | (
            values == self.ignore_index)
        if not valid.all():
            raise DataError(
                f'the label map of {where} has values '
                f'{values[~valid].tolist()} (after the pipeline), outside '
                f'the classes 0-{self.num_classes - 1} and the ignore index '
                f'{self.ignore_index}')

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.pipeline!r})'


def check_samples(dataset: Any) -> None:
    """Wraps the pipeline of ``dataset`` (and of the datasets it wraps) in a
    :class:`CheckedPipeline`. Label maps are checked against the classes in
    the dataset's ``metainfo`` and its ``ignore_index`` (mmseg's default,
    255, where it has none)."""
    for _, inner in wrapped_datasets(dataset):
        pipeline = getattr(inner, 'pipeline', None)
        if not callable(pipeline) or isinstance(pipeline, CheckedPipeline):
            continue
        classes = (getattr(inner, 'metainfo', None) or {}).get('classes')
        inner.pipeline = CheckedPipeline(
            pipeline,
            num_classes=len(classes) if classes else None,
            ignore_index=getattr(inner, 'ignore_index', 255))
