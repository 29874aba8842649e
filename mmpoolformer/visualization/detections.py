"""The detections that ``tools/test.py --out`` dumps (mmdet's
``DumpDetResults``), paired with the ground truth of the images they were
made on."""
import pickle
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
from mmengine.fileio import load
from mmengine.registry import DefaultScope

from ..datasets import DataError


@dataclass
class DetectionSample:
    """One image's true and predicted boxes, each an ``(N, 4)`` array of
    ``x1, y1, x2, y2`` in the image's pixels.

    Attributes:
        img_path (str): The image, as the dataset names it.
        true_bboxes (np.ndarray): The annotated boxes.
        bboxes (np.ndarray): The predicted boxes.
        scores (np.ndarray): Their scores, ``(N, )``.
        labels (np.ndarray): Their class indices, ``(N, )``.
    """
    img_path: str
    true_bboxes: np.ndarray
    bboxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray


def load_detections(
        predictions_file: str,
        dataset_cfg: dict,
        num_images: Optional[int] = None
) -> Tuple[List[DetectionSample], Tuple[str, ...]]:
    """Reads the detections that ``tools/test.py --out`` dumped and the
    ground truth of their images from the dataset they were tested on.

    Args:
        predictions_file (str): The ``.pkl`` file: a list of dicts with
            ``img_id``, ``img_path`` and ``pred_instances`` (``bboxes``,
            ``scores``, ``labels``), one per test image.
        dataset_cfg (dict): The mmdet dataset the predictions were made on
            (a config's ``test_dataloader.dataset``); its annotation file
            gives the true boxes.
        num_images (int, optional): Keep the first ones only. Defaults to
            None (all).

    Returns:
        tuple[list[DetectionSample], tuple[str]]: The images, in the order
        they were tested, and the dataset's class names (by label).

    Raises:
        DataError: The file is no pickle, holds no detections, or images
            the dataset does not have.
    """
    try:
        predictions = load(predictions_file, file_format='pkl')
    except (pickle.UnpicklingError, EOFError, ValueError) as error:
        raise DataError(f'cannot read {predictions_file} as a pickle: '
                        f'{error}') from None
    if not isinstance(predictions, list) or not predictions or not all(
            isinstance(p, dict) and {'img_id', 'img_path', 'pred_instances'}
            <= set(p) for p in predictions):
        raise DataError(
            f'{predictions_file} holds no detections (a list of dicts with '
            'img_id, img_path and pred_instances): write it with '
            'tools/test.py --out from a detector config')
    # Only the annotations are needed, not the images: no pipeline.
    with DefaultScope.overwrite_default_scope('mmdet'):
        from mmdet.registry import DATASETS
        dataset = DATASETS.build(dict(dataset_cfg, pipeline=[]))
    truths = {
        info['img_id']: info
        for info in map(dataset.get_data_info, range(len(dataset)))
    }
    samples = []
    for prediction in predictions[:num_images]:
        truth = truths.get(prediction['img_id'])
        if truth is None:
            raise DataError(
                f'{predictions_file}: image id {prediction["img_id"]} '
                f'({prediction["img_path"]}) is not in the dataset\'s '
                f'annotations {dataset.ann_file}')
        instances = prediction['pred_instances']
        samples.append(
            DetectionSample(
                img_path=prediction['img_path'],
                true_bboxes=np.array(
                    [instance['bbox'] for instance in truth['instances']],
                    dtype=np.float32).reshape(-1, 4),
                bboxes=np.asarray(instances['bboxes']).reshape(-1, 4),
                scores=np.asarray(instances['scores']),
                labels=np.asarray(instances['labels'])))
    return samples, tuple(dataset.metainfo['classes'])
