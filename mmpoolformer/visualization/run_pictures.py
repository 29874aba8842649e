"""The pictures of a detector's run, as ``make demo`` draws them after
testing (``tools/draw_demo_results.py``)."""
import os
import os.path as osp
from typing import Optional, Tuple

from mmengine.config import Config

from ..datasets import check_dataset_folders
from ..engine import UsageError
from .detections import load_detections
from .overview import draw_detection_overview
from .training_curve import draw_training_curve, latest_scalars_file


def draw_run_pictures(
        cfg: Config,
        predictions: str,
        out_dir: Optional[str] = None,
        num_images: int = 12,
        columns: int = 4,
        score_thr: float = 0.3,
        metric: str = 'coco/bbox_mAP'
) -> Tuple[str, Optional[str], Optional[str]]:
    """Draws an overview of the first test images with their true boxes and
    the predictions that ``tools/test.py --out`` dumped (``overview.png``),
    and the training curve of the latest training in ``cfg.work_dir``,
    losses and validation metric by iteration (``training_curve.png``).

    Args:
        cfg (Config): An mmdet config with its ``work_dir`` set.
        predictions (str): The .pkl of its test set's predictions.
        out_dir (str, optional): Where the pictures go. Defaults to None:
            ``WORK_DIR/pictures``.
        num_images (int): Test images in the overview. Defaults to 12.
        columns (int): Images per row. Defaults to 4.
        score_thr (float): Draw the predicted boxes scoring at least this.
            Defaults to 0.3.
        metric (str): The validation metric of the training curve.
            Defaults to 'coco/bbox_mAP'.

    Returns:
        tuple: The overview's path, the curve's (None without a training
        log in the work dir) and the training log it was drawn from.
    """
    if cfg.default_scope != 'mmdet':
        raise UsageError(f'{cfg.filename}: draws detections, from mmdet '
                         f'configs; its default_scope is '
                         f'{cfg.default_scope}')
    if not osp.isfile(predictions):
        raise UsageError(f'predictions not found: {predictions}')
    check_dataset_folders({'test_dataloader': cfg.get('test_dataloader')},
                          cfg.default_scope)
    samples, class_names = load_detections(
        predictions, cfg.test_dataloader.dataset, num_images)
    out_dir = out_dir or osp.join(cfg.work_dir, 'pictures')
    os.makedirs(out_dir, exist_ok=True)
    overview = osp.join(out_dir, 'overview.png')
    draw_detection_overview(samples, class_names, overview, score_thr,
                            columns)
    scalars = latest_scalars_file(cfg.work_dir)
    if scalars is None:
        return overview, None, None
    curve = osp.join(out_dir, 'training_curve.png')
    draw_training_curve(scalars, curve, metric)
    return overview, curve, scalars
