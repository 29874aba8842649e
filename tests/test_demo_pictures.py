"""The pictures ``make demo`` ends with (tools/draw_demo_results.py): an
overview of val images with their true and predicted boxes, and the training
curve; and the progress that tools/make_demo_data.py shows.

One shrunk ``tools/run_demo.sh`` (a few images, two iterations, each
logged, validated at the end) runs in a folder of its own, where links to
tools/ and configs/ make it write its data/demo and work_dirs.
"""
import json
import os.path as osp
import pickle
import re

import cv2
import pytest
import torch

from tool_runs import (ROOT, assert_clean_error, assert_ok, file_hashes,
                       run, run_command)

from mmpoolformer.datasets import demo_shapes
from mmpoolformer.visualization import (GridLayout, draw_training_curve,
                                        latest_scalars_file)
from mmpoolformer.visualization.overview import (PREDICTED_COLOUR,
                                                 TRUE_COLOUR)

CONFIG = osp.join(ROOT, 'configs', 'demo', 'retinanet_poolformer_s12_demo.py')
NUM_TRAIN, NUM_VAL, ITERS = 4, 5, 2
SHRINK = [
    f'train_cfg.max_iters={ITERS}', 'train_dataloader.batch_size=2',
    'default_hooks.logger.interval=1',
    # After two iterations no score reaches the default threshold, and
    # mmdet's CocoMetric reports no mAP for empty results.
    'model.test_cfg.score_thr=0'
]
WORK_DIR = 'work_dirs/demo'
# cv2 reads BGR; both colours read the same either way.
TRUE_BGR, PREDICTED_BGR = TRUE_COLOUR[::-1], PREDICTED_COLOUR[::-1]


@pytest.fixture(scope='module')
def demo(module_tmp_path):
    """The folder that the shrunk run_demo.sh ran in, and its result."""
    root = module_tmp_path
    for name in ('tools', 'configs'):
        (root / name).symlink_to(osp.join(ROOT, name))
    result = run_command(
        ['bash', root / 'tools' / 'run_demo.sh', '--cfg-options', *SHRINK],
        cwd=root,
        NUM_TRAIN=NUM_TRAIN,
        NUM_VAL=NUM_VAL,
        WORK_DIR=WORK_DIR)
    assert_ok(result)
    return root, result


def printed_path(output, name):
    """The path that run_demo.sh's summary line for ``name`` prints."""
    match = re.search(rf'^\[demo\] {name}.*: (\S+)$', output, re.M)
    assert match, output[-2000:]
    return match.group(1)


def test_run_demo_ends_with_the_two_pictures(demo):
    root, result = demo
    # The dataset step showed its progress bars (stderr).
    assert 'val: detection and segmentation images' in result.stderr
    assert f'{NUM_VAL}/{NUM_VAL}' in result.stderr
    assert f'{NUM_TRAIN}/{NUM_TRAIN}' in result.stderr

    overview = cv2.imread(printed_path(result.stdout, 'overview'))
    width, height = GridLayout(NUM_VAL).size
    # 5 images, 4 a row: 2 rows of 4 cells.
    assert overview.shape == (height, width, 3) == (564, 1064, 3)
    assert (overview == TRUE_BGR).all(axis=-1).sum() > 100
    curve = cv2.imread(printed_path(result.stdout, 'training curve'))
    assert curve.shape == (450, 800, 3)
    assert curve.std() > 10
    assert osp.samefile(
        printed_path(result.stdout, 'overview'),
        root / WORK_DIR / 'pictures' / 'overview.png')


def in_picture(layout, index, box, image_size=128):
    """``box`` (x1, y1, x2, y2 in the ``index``-th image) in the overview's
    pixels."""
    left, top, right, _ = layout.image_box(index, image_size, image_size)
    scale = (right - left) / image_size
    return [
        round(origin + value * scale)
        for origin, value in zip((left, top, left, top), box)
    ]


def edge_share(picture, colour, row_band, columns):
    """The share of ``columns`` where ``picture`` has ``colour`` in one of
    the rows of ``row_band``."""
    band = picture[row_band[0]:row_band[1], columns[0]:columns[1]]
    return (band == colour).all(axis=-1).any(axis=0).mean()


def test_overview_draws_true_and_predicted_boxes_where_they_are(
        demo, tmp_path):
    """Predictions placed inside the true boxes (half their size), in the
    format tools/test.py dumped: both kinds of box are drawn in their
    colour at the pixels the layout maps them to."""
    root, _ = demo
    with open(root / WORK_DIR / 'predictions.pkl', 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == NUM_VAL
    with open(root / 'data/demo/annotations/instances_val.json') as f:
        coco = json.load(f)
    true_boxes = {image['id']: [] for image in coco['images']}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        true_boxes[ann['image_id']].append([x, y, x + w, y + h])
    for prediction in dumped:
        boxes = torch.tensor(true_boxes[prediction['img_id']],
                             dtype=torch.float32)
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        sizes = boxes[:, 2:] - boxes[:, :2]
        prediction['pred_instances'] = dict(
            bboxes=torch.cat([centres - sizes / 4, centres + sizes / 4], 1),
            scores=torch.full((len(boxes), ), 0.9),
            labels=torch.zeros(len(boxes), dtype=torch.int64))
    predictions = tmp_path / 'predictions.pkl'
    with open(predictions, 'wb') as f:
        pickle.dump(dumped, f)

    columns = 3
    result = run('draw_demo_results.py', CONFIG, predictions, '--work-dir',
                 WORK_DIR, '--out-dir', tmp_path, '--columns', columns,
                 cwd=root)
    assert_ok(result)
    assert f'overview: {tmp_path / "overview.png"}' in result.stdout
    picture = cv2.imread(str(tmp_path / 'overview.png'))
    layout = GridLayout(NUM_VAL, columns)
    assert picture.shape[1::-1] == layout.size
    checked = 0
    for index, prediction in enumerate(dumped):
        for box, predicted in zip(true_boxes[prediction['img_id']],
                                  prediction['pred_instances']['bboxes']):
            # The top edge of the true box, 4 pixels wide, all along.
            x1, y1, x2, _ = in_picture(layout, index, box)
            assert edge_share(picture, TRUE_BGR, (y1 - 2, y1 + 2),
                              (x1 + 3, x2 - 3)) > 0.95
            # The bottom edge of the prediction (its label sits top left).
            x1, y1, x2, y2 = in_picture(layout, index, predicted.tolist())
            assert edge_share(picture, PREDICTED_BGR, (y2 - 2, y2 + 2),
                              (x1 + 2, x2 - 2)) > 0.9
            # The shape inside is not painted over.
            centre = picture[(y1 + y2) // 2, (x1 + x2) // 2]
            assert tuple(centre) not in (TRUE_BGR, PREDICTED_BGR)
            checked += 1
    assert checked == len(coco['annotations']) >= NUM_VAL


def test_training_curve_has_a_point_per_logged_iteration(demo, tmp_path):
    root, _ = demo
    scalars = latest_scalars_file(str(root / WORK_DIR))
    with open(scalars) as f:
        records = [json.loads(line) for line in f]
    logged = [r['step'] for r in records if 'loss' in r]
    assert logged == list(range(1, ITERS + 1))
    (validation, ) = [r for r in records if 'coco/bbox_mAP' in r]

    figure = draw_training_curve(scalars, str(tmp_path / 'curve.png'))
    loss_axes, metric_axes = figure.axes
    lines = {line.get_label(): line for line in loss_axes.lines}
    assert set(lines) == {'loss', 'loss_cls', 'loss_bbox'}
    for name, line in lines.items():
        assert list(line.get_xdata()) == logged
        assert list(line.get_ydata()) == [
            r[name] for r in records if 'loss' in r
        ]
    (metric, ) = metric_axes.lines
    # The validation followed the last iteration (whatever step mmengine
    # logged it at: the epoch, 0, by default).
    assert list(metric.get_xdata()) == [ITERS]
    assert list(metric.get_ydata()) == [validation['coco/bbox_mAP']]
    assert cv2.imread(str(tmp_path / 'curve.png')).shape == (450, 800, 3)


def test_draw_tool_refuses_missing_predictions(tmp_path):
    result = run('draw_demo_results.py', CONFIG, tmp_path / 'none.pkl')
    assert_clean_error(result, 'predictions not found', 'none.pkl')


def test_make_demo_data_shows_progress_on_stderr_only(tmp_path):
    """The tool counts the images it draws on stderr; stdout keeps its
    summary, and the files are those that generating in-process writes."""
    result = run('make_demo_data.py', '--out', tmp_path / 'tool',
                 '--num-train', 3, '--num-val', 2, '--img-size', 48)
    assert_ok(result)
    for split, count in (('train', 3), ('val', 2)):
        for kind, num in (('detection and segmentation', count),
                          ('classification',
                           demo_shapes.CLS_IMAGES_PER_IMAGE * count)):
            assert f'{split}: {kind} images\n' in result.stderr
            assert f'] {num}/{num},' in result.stderr
    assert [line.split(':')[0] for line in result.stdout.splitlines()
            ] == ['train', 'val', 'COCO annotations']
    demo_shapes.generate(
        str(tmp_path / 'module'), num_train=3, num_val=2, img_size=48)
    tool, module = (file_hashes(tmp_path / name)
                    for name in ('tool', 'module'))
    assert len(tool) > 10
    assert tool == module
