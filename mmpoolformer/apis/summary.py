"""One line per image saying what an Inferencer predicted."""
from typing import Optional, Sequence

import numpy as np

# The most objects or classes a line names.
MAX_NAMED = 5


def inferencer_classes(inferencer) -> Optional[Sequence[str]]:
    """The class names an mmdet or mmseg Inferencer draws with (mmpretrain's
    predictions name their class themselves)."""
    return (getattr(inferencer.model, 'dataset_meta', None) or {}).get(
        'classes')


def describe_prediction(prediction: dict,
                        classes: Optional[Sequence[str]] = None,
                        score_thr: float = 0.3) -> str:
    """The prediction of :func:`~mmpoolformer.apis.run_inferencer` for one
    image in words: the class and its score, the classes covering the label
    map (largest share first), or the objects scoring at least
    ``score_thr`` (highest first)."""
    if 'pred_label' in prediction:
        name = prediction.get('pred_class', prediction['pred_label'])
        return f'{name} ({prediction["pred_score"]:.2f})'
    if 'sem_seg' in prediction:
        labels, counts = np.unique(prediction['sem_seg'], return_counts=True)
        order = np.argsort(-counts, kind='stable')
        return _listed([
            f'{_name(classes, labels[i])} {counts[i] / counts.sum():.0%}'
            for i in order
        ])
    objects = sorted(((score, label) for score, label in zip(
        prediction['scores'], prediction['labels']) if score >= score_thr),
                     reverse=True)
    if not objects:
        return f'no object scores {score_thr} or more'
    return f'{len(objects)} objects: ' + _listed(
        [f'{_name(classes, label)} {score:.2f}' for score, label in objects])


def _name(classes: Optional[Sequence[str]], label: int) -> str:
    label = int(label)
    return str(classes[label]) if classes and label < len(classes) \
        else str(label)


def _listed(items: Sequence[str]) -> str:
    more = len(items) - MAX_NAMED
    return ', '.join(items[:MAX_NAMED]) + (f' and {more} more'
                                           if more > 0 else '')
