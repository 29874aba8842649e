"""Walking a dataset and the datasets it wraps."""
from typing import Any, Iterator, Tuple

# Where mmengine's and mmdet's wrappers (ConcatDataset, RepeatDataset,
# ClassBalancedDataset, MultiImageMixDataset, ...) keep what they wrap.
WRAPPED_KEYS = ('dataset', 'datasets')


def wrapped_datasets(dataset: Any,
                     where: str = 'dataset') -> Iterator[Tuple[str, Any]]:
    """Yields ``(where, dataset)`` for ``dataset`` and, depth-first, for
    every dataset it wraps, wrappers before what they wrap.

    Works on dataset configs (dicts, read by key) and built datasets (read by
    attribute) alike.

    Args:
        dataset (Any): A dataset config or a built dataset; None yields
            nothing.
        where (str): The dotted path of ``dataset`` in the config, extended
            for the datasets it wraps (``dataset.datasets.0``, ...).
            Defaults to 'dataset'.
    """
    if dataset is None:
        return
    yield where, dataset
    for key in WRAPPED_KEYS:
        if isinstance(dataset, dict):
            inner = dataset.get(key)
        else:
            inner = getattr(dataset, key, None)
        if isinstance(inner, (list, tuple)):
            for index, item in enumerate(inner):
                yield from wrapped_datasets(item, f'{where}.{key}.{index}')
        else:
            yield from wrapped_datasets(inner, f'{where}.{key}')
