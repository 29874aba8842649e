"""The OpenMMLab Inferencer of a config's library, picked by its
``default_scope``: mmdet's ``DetInferencer`` (boxes, and masks for Mask
R-CNN), mmseg's ``MMSegInferencer`` (label maps) or mmpretrain's
``ImageClassificationInferencer``.

The Inferencers take our configs and checkpoints as they are. What this
module adds for a script that runs any of the three:

* class names for the drawings when the weights carry none. A checkpoint
  saved by a Runner holds its dataset's ``dataset_meta``; without one
  (``weights=None``, a bare state dict) mmdet names COCO's classes, mmseg
  Cityscapes' and mmpretrain those of the dataset class, whatever the model
  was trained on. :func:`build_inferencer` gives them the metainfo of the
  config's test dataset instead, as a Runner would have saved it.
* the three built and run in their own registry scope, whatever scope the
  process is in (mmpretrain's builds its pipeline in the current one, which
  another library's Inferencer may have left set).
* one call for the three (:func:`run_inferencer`), which writes drawings to
  ``out_dir/vis`` and predictions to ``out_dir/preds`` (mmseg:
  ``out_dir/pred``, as its Inferencer does), and returns one prediction
  dict per image. Where the output is not a terminal, mmpretrain's progress
  bar stays off: written to a file or pipe, it ends without a newline when
  its refresh fired, and the next line of output joins it.
"""
import contextlib
import copy
import importlib
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Union

from mmengine.config import Config
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.registry import DATASETS, DefaultScope

from ..checkpoint import load_checkpoint_file
from ..engine import choose_fast_inference, fuse_backbones

# default_scope: (module, Inferencer class)
INFERENCERS = {
    'mmdet': ('mmdet.apis', 'DetInferencer'),
    'mmseg': ('mmseg.apis', 'MMSegInferencer'),
    'mmpretrain': ('mmpretrain.apis', 'ImageClassificationInferencer'),
}


def build_inferencer(config: Union[str, Config],
                     weights: Optional[str] = None,
                     device: Optional[str] = None,
                     fuse: Optional[bool] = None):
    """The Inferencer of the config's ``default_scope``.

    Args:
        config (str | Config): An mmdet, mmseg or mmpretrain config.
        weights (str, optional): A checkpoint; None runs the model as it is
            built (randomly initialised). Defaults to None.
        device (str, optional): Where to run, e.g. 'cpu' or 'cuda:0'.
            Defaults to None (mmdet and mmseg pick a GPU where there is one,
            mmpretrain the CPU).
        fuse (bool, optional): Run our backbone channels-last and fused, or
            as built. Defaults to None: fused on CPU
            (:func:`~mmpoolformer.engine.choose_fast_inference`).

    Returns:
        DetInferencer | MMSegInferencer | ImageClassificationInferencer

    Raises:
        ValueError: the config's ``default_scope`` has no Inferencer here.
        CheckpointError: the weights cannot be read safely.
    """
    cfg = copy.deepcopy(config) if isinstance(config, Config) \
        else Config.fromfile(config)
    scope = cfg.get('default_scope')
    if scope not in INFERENCERS:
        raise ValueError(f'default_scope is {scope!r}: no Inferencer for it, '
                         f'expected one of {", ".join(INFERENCERS)}')
    has_dataset_meta = _has_dataset_meta(weights)
    module, name = INFERENCERS[scope]
    inferencer_class = getattr(importlib.import_module(module), name)
    fast = choose_fast_inference(
        cfg, fuse, device or ('cpu' if scope == 'mmpretrain' else None))
    with DefaultScope.overwrite_default_scope(scope):
        meta = None if has_dataset_meta else _test_metainfo(cfg)
        if scope == 'mmpretrain':
            inferencer = inferencer_class(
                model=cfg,
                pretrained=weights or False,
                device=device,
                classes=(meta or {}).get('classes'))
        else:
            inferencer = inferencer_class(
                model=cfg, weights=weights, device=device)
    if meta and scope != 'mmpretrain':
        _use_classes(inferencer, meta)
    if fast:
        print_log(fuse_backbones(inferencer.model), logger='current')
    return inferencer


def _has_dataset_meta(weights: Optional[str]) -> bool:
    """Whether the checkpoint names its dataset's classes (read safely:
    a missing or unreadable one is a CheckpointError)."""
    if weights is None:
        return False
    checkpoint = load_checkpoint_file(weights)
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    return isinstance(meta, dict) and 'dataset_meta' in meta


def _test_metainfo(cfg: Config) -> dict:
    """The metainfo of the config's test dataset, built without its data
    (as mmdet's Inferencer reads the palette)."""
    dataset = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset['lazy_init'] = True
    return DATASETS.build(dataset).metainfo


def _use_classes(inferencer, meta: dict) -> None:
    """Gives an mmdet or mmseg Inferencer the classes (and palette) of
    ``meta``; mmdet's visualizer keeps a copy, mmseg's reads the model's
    again for every drawing."""
    dataset_meta = dict(inferencer.model.dataset_meta)
    dataset_meta.update(
        {key: meta[key]
         for key in ('classes', 'palette') if meta.get(key)})
    inferencer.model.dataset_meta = dataset_meta
    inferencer.visualizer.dataset_meta = dataset_meta


def _library(inferencer) -> str:
    """The library of an Inferencer that :func:`build_inferencer` built:
    mmdet's and mmseg's keep their scope, mmpretrain's is no mmengine
    Inferencer."""
    if isinstance(inferencer, BaseInferencer):
        return inferencer.scope
    return 'mmpretrain'


def run_inferencer(inferencer,
                   images: Sequence[str],
                   out_dir: Optional[str] = None,
                   show: bool = False,
                   score_thr: float = 0.3,
                   opacity: float = 0.8) -> List[dict]:
    """Runs an Inferencer of :func:`build_inferencer` on image files.

    Args:
        inferencer: The Inferencer.
        images (Sequence[str]): Image files.
        out_dir (str, optional): Where to write the drawings (``vis/``) and
            the predictions (``preds/``, mmseg: ``pred/``). Defaults to None
            (nothing written).
        show (bool): Show each drawing in a window. Defaults to False.
        score_thr (float): Detection: the lowest score of a drawn box.
            Defaults to 0.3.
        opacity (float): Semantic segmentation: the opacity of the drawn
            label map. Defaults to 0.8, as mmseg's.

    Returns:
        list[dict]: One prediction per image, as the Inferencer gives it:
        ``labels``, ``scores``, ``bboxes`` (and ``masks``) for mmdet,
        ``sem_seg`` (the label map) for mmseg, ``pred_label``,
        ``pred_score``, ``pred_scores`` (and ``pred_class``) for mmpretrain.
    """
    images = list(images)
    scope = _library(inferencer)
    with DefaultScope.overwrite_default_scope(scope):
        if scope == 'mmdet':
            return inferencer(
                images,
                out_dir=out_dir or '',
                no_save_pred=out_dir is None,
                show=show,
                pred_score_thr=score_thr)['predictions']
        if scope == 'mmseg':
            predictions = inferencer(
                images, out_dir=out_dir or '', show=show,
                opacity=opacity)['predictions']
            # One image gives its label map alone.
            if len(images) == 1:
                predictions = [predictions]
            return [dict(sem_seg=label_map) for label_map in predictions]
        vis_dir = None
        if out_dir is not None:
            vis_dir = osp.join(out_dir, 'vis')
            os.makedirs(vis_dir, exist_ok=True)
        with _progress_bar_on_terminals_only():
            predictions = inferencer(images, show=show, show_dir=vis_dir)
    if out_dir is not None:
        _save_classifications(images, predictions, osp.join(out_dir, 'preds'))
    return predictions


@contextlib.contextmanager
def _progress_bar_on_terminals_only():
    """mmpretrain's progress bar, switched off while the output is not a
    terminal (see the module's docstring) and restored afterwards."""
    from mmpretrain.utils import progress
    disabled = progress.disable_progress_bar
    progress.disable_progress_bar = disabled or not sys.stdout.isatty()
    try:
        yield
    finally:
        progress.disable_progress_bar = disabled


def _save_classifications(images: Sequence[str], predictions: List[dict],
                          pred_dir: str) -> None:
    """Writes each classification to ``<image name>.json``, as mmdet's
    Inferencer writes its detections."""
    os.makedirs(pred_dir, exist_ok=True)
    for image, prediction in zip(images, predictions):
        name = osp.splitext(osp.basename(image))[0]
        scores = prediction['pred_scores'].tolist()
        with open(osp.join(pred_dir, f'{name}.json'), 'w') as f:
            json.dump(dict(prediction, pred_scores=scores), f)
