"""The training curve of a run: its losses at every logged iteration and a
validation metric where it was measured, from the ``vis_data/scalars.json``
that mmengine's local visualization backend writes."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..datasets import DataError

Series = Tuple[List[float], List[float]]  # iterations, values


def latest_scalars_file(work_dir: str) -> Optional[str]:
    """The ``scalars.json`` of the latest training in ``work_dir``
    (mmengine's ``<timestamp>/vis_data/scalars.json``; test runs write
    none), or None."""
    files = glob.glob(
        osp.join(glob.escape(work_dir), '*', 'vis_data', 'scalars.json'))
    # Timestamps (YYYYMMDD_HHMMSS) sort as they were taken.
    return max(files, default=None)


def read_scalars(path: str, metric: str) -> Tuple[Dict[str, Series], Series]:
    """Reads the losses and the validations of a ``scalars.json``.

    mmengine logs a validation with the epoch as its step (0 all along in
    an iteration-based loop, unless the logger hook has
    ``log_metric_by_epoch=False``): a validation is put at the iteration of
    the training record before it, the one it followed.

    Args:
        path (str): The file, one JSON record per line.
        metric (str): The validation metric, e.g. ``'coco/bbox_mAP'``.

    Returns:
        tuple[dict, tuple]: Each loss (``loss`` and its parts, the keys
        starting with ``loss``) as ``(iterations, values)``, and the metric
        as ``(iterations, values)`` (empty where never validated).

    Raises:
        DataError: A line is not JSON, or no loss was logged.
    """
    losses, validations = {}, ([], [])
    iteration = 0
    with open(path) as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise DataError(f'{path}: line {number} is not JSON') \
                    from None
            if 'loss' in record:
                iteration = record['step']
                for name, value in record.items():
                    if name.startswith('loss'):
                        steps, values = losses.setdefault(name, ([], []))
                        steps.append(iteration)
                        values.append(value)
            elif metric in record:
                validations[0].append(iteration)
                validations[1].append(record[metric])
    if not losses:
        raise DataError(f'{path} holds no loss: the training ran fewer '
                        'iterations than its logger interval')
    return losses, validations


def draw_training_curve(scalars_file: str,
                        out_file: str,
                        metric: str = 'coco/bbox_mAP') -> Figure:
    """Draws the losses of a training against the iteration and, on a
    second axis, the validation metric where it was measured, into a PNG.

    Args:
        scalars_file (str): The run's ``vis_data/scalars.json``.
        out_file (str): The PNG to write.
        metric (str): The validation metric. Defaults to
            ``'coco/bbox_mAP'``.

    Returns:
        Figure: The drawing: its first axes hold the losses, its second
        the metric.
    """
    losses, (steps, values) = read_scalars(scalars_file, metric)
    figure = Figure(figsize=(8, 4.5), dpi=100, layout='constrained')
    loss_axes = figure.add_subplot()
    for name, series in losses.items():
        loss_axes.plot(*series, label=name,
                       linewidth=2 if name == 'loss' else 1)
    loss_axes.set_xlabel('iteration')
    loss_axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_axes.set_ylabel('loss')
    loss_axes.set_ylim(bottom=0)
    loss_axes.grid(alpha=0.3)
    metric_axes = loss_axes.twinx()
    metric_axes.plot(steps, values, 'o', color='black', label=f'val {metric}')
    for step, value in zip(steps, values):
        metric_axes.annotate(f'{value:.3f}', (step, value),
                             textcoords='offset points', xytext=(-6, 6),
                             ha='right')
    metric_axes.set_ylim(0, 1 if max(values, default=0) <= 1 else None)
    metric_axes.set_ylabel(metric if steps else f'{metric} (not validated)')
    handles = [
        handle for axes in (loss_axes, metric_axes)
        for handle in axes.get_legend_handles_labels()[0]
    ]
    figure.legend(handles=handles, loc='outside lower center',
                  ncols=len(handles), frameon=False)
    run = osp.basename(osp.dirname(osp.dirname(scalars_file)))
    loss_axes.set_title(f'Training run {run}')
    figure.savefig(out_file)
    return figure
