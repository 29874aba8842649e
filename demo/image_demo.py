"""Run a PoolFormer detector or segmentor on one image and draw the result.

The task follows the config's ``default_scope``: ``mmdet`` configs draw
boxes (and masks), ``mmseg`` configs draw the label map.

Example:
    python demo/image_demo.py data/demo/images/val/000000.png \
        configs/demo/retinanet_poolformer_s12_demo.py \
        work_dirs/retinanet_poolformer_s12_demo/iter_900.pth \
        --out-file result.png
"""
from argparse import ArgumentParser

import mmcv
import torch
from mmengine.config import Config

import mmpoolformer  # noqa: F401  registers the PoolFormer backbone


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='mmdet or mmseg config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out-file',
        help='where to write the drawing; shown in a window if not given')
    parser.add_argument(
        '--device',
        default='cuda:0' if torch.cuda.is_available() else 'cpu',
        help='device used for inference')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.3,
        help='detection: lowest score of a drawn box')
    parser.add_argument(
        '--opacity',
        type=float,
        default=0.5,
        help='segmentation: opacity of the drawn label map, in (0, 1]')
    return parser.parse_args()


def detect(args, cfg):
    """Detect objects in ``args.img`` and draw them with mmdet."""
    from mmdet.apis import inference_detector, init_detector
    from mmdet.registry import VISUALIZERS

    model = init_detector(cfg, args.checkpoint, device=args.device)
    result = inference_detector(model, args.img)
    visualizer = VISUALIZERS.build(model.cfg.visualizer)
    visualizer.dataset_meta = model.dataset_meta
    visualizer.add_datasample(
        'result',
        mmcv.imread(args.img, channel_order='rgb'),
        data_sample=result,
        draw_gt=False,
        show=args.out_file is None,
        out_file=args.out_file,
        pred_score_thr=args.score_thr)


def segment(args, cfg):
    """Segment ``args.img`` and draw the label map with mmseg."""
    from mmseg.apis import inference_model, init_model, show_result_pyplot

    model = init_model(cfg, args.checkpoint, device=args.device)
    result = inference_model(model, args.img)
    show_result_pyplot(
        model,
        args.img,
        result,
        opacity=args.opacity,
        show=args.out_file is None,
        out_file=args.out_file)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    tasks = dict(mmdet=detect, mmseg=segment)
    scope = cfg.get('default_scope')
    if scope not in tasks:
        raise ValueError(f'{args.config} has default_scope={scope!r}; '
                         f'expected one of {sorted(tasks)}')
    tasks[scope](args, cfg)
    if args.out_file:
        print(f'result written to {args.out_file}')


if __name__ == '__main__':
    main()
