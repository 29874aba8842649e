"""Run a PoolFormer detector, segmentor or classifier on images and draw
the results, with the Inferencer of the config's library.

The task follows the config's ``default_scope``: ``mmdet`` configs detect
objects (boxes, and masks for Mask R-CNN) with mmdet's ``DetInferencer``,
``mmseg`` configs draw the label map with ``MMSegInferencer`` and
``mmpretrain`` configs name the class with
``ImageClassificationInferencer``. The inputs are image files, folders of
images, or both. The drawings go to ``OUT_DIR/vis`` and the predictions to
``OUT_DIR/preds`` (semantic segmentation: ``OUT_DIR/pred``), and one line
per image says what was found.

Examples (the checkpoints of ``make demo`` or ``tools/train.py``):
    # detection
    python demo/image_demo.py data/demo/images/val/000000.png \\
        configs/demo/retinanet_poolformer_s12_demo.py \\
        work_dirs/retinanet_poolformer_s12_demo/iter_900.pth \\
        --out-dir outputs/retinanet --score-thr 0.5
    # instance segmentation, a folder of images
    python demo/image_demo.py data/demo/images/val \\
        configs/demo/mask_rcnn_poolformer_s12_demo.py \\
        work_dirs/mask_rcnn_poolformer_s12_demo/iter_360.pth \\
        --out-dir outputs/mask_rcnn
    # semantic segmentation, two images
    python demo/image_demo.py data/demo/images/val/000000.png \\
        data/demo/images/val/000001.png \\
        configs/demo/fpn_poolformer_s12_demo.py \\
        work_dirs/fpn_poolformer_s12_demo/iter_1200.pth \\
        --out-dir outputs/fpn
    # classification
    python demo/image_demo.py data/demo/cls/val \\
        configs/demo/poolformer_s12_demo_cls.py \\
        work_dirs/poolformer_s12_demo_cls/iter_600.pth \\
        --out-dir outputs/cls --device cpu
"""
import os
import os.path as osp

import cv2
import torch

from mmpoolformer.apis import (build_inferencer, describe_prediction,
                               inferencer_classes, run_inferencer)
from mmpoolformer.engine import UsageError, build_config_model, load_config
from mmpoolformer.engine.command_line import (ArgumentParser, add_fuse_arg,
                                              reports_errors)
from mmpoolformer.visualization import check_display


def parse_args():
    parser = ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'inputs', nargs='+', help='image files and folders of images')
    parser.add_argument('config', help='mmdet, mmseg or mmpretrain config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-dir',
        default='outputs',
        help='where to write the drawings (vis/) and predictions')
    parser.add_argument(
        '--device',
        default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device used for inference')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='detection: lowest score of a drawn (and listed) object')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='semantic segmentation: opacity of the drawn label map')
    parser.add_argument(
        '--show',
        action='store_true',
        help='also show each drawing in a window (needs a display)')
    add_fuse_arg(parser)
    return parser.parse_args()


def find_images(paths):
    """The image files among ``paths`` and in the folders among them (not
    their subfolders); an image is a file OpenCV can decode.

    Raises:
        UsageError: a path does not exist, a folder holds no image, or a file
            is no image.
    """
    images = []
    for path in paths:
        if osp.isdir(path):
            found = [
                osp.join(path, name) for name in sorted(os.listdir(path))
                if osp.isfile(osp.join(path, name))
                and cv2.haveImageReader(osp.join(path, name))
            ]
            if not found:
                raise UsageError(f'no image in the folder {path}')
            images += found
        elif not osp.isfile(path):
            raise UsageError(f'image or folder not found: {path}')
        elif not cv2.haveImageReader(path):
            raise UsageError(f'not an image (OpenCV cannot read it): {path}')
        else:
            images.append(path)
    return images


@reports_errors
def main():
    args = parse_args()
    if args.show:
        check_display(instead='--out-dir')
    images = find_images(args.inputs)
    cfg = load_config(args.config)
    # A model argument that does not build ends here, in one line.
    build_config_model(cfg)
    # Reads the checkpoint first: a missing or unsafe one ends here too.
    inferencer = build_inferencer(cfg, args.checkpoint, args.device,
                                  args.fuse)
    predictions = run_inferencer(
        inferencer,
        images,
        out_dir=args.out_dir,
        show=args.show,
        score_thr=args.score_thr,
        opacity=args.opacity)
    classes = inferencer_classes(inferencer)
    for image, prediction in zip(images, predictions):
        print(f'{image}: '
              f'{describe_prediction(prediction, classes, args.score_thr)}')
    print(f'drawings and predictions written to {args.out_dir}')


if __name__ == '__main__':
    main()
