"""The small synthetic dataset that ``make demo`` trains on
(``tools/make_demo_data.py`` writes it).

Every image shows one to three coloured shapes (circle, square, triangle)
on a textured background. The same images are annotated three ways:

- ``annotations/instances_{train,val}.json``: COCO instances with polygon
  masks, tight pixel boxes and mask areas (for MMDetection);
- ``ann_dir/{train,val}/*.png``: semantic label maps where 0 is the
  background and ``1 + class index`` a shape (for MMSegmentation, used with
  ``reduce_zero_label=False`` so the background is a class);
- ``cls/{train,val}/<class>/*.png``: separate one-shape images in an
  ImageFolder layout (for MMPretrain), the shape larger and centred, as in
  the object-centred photos of ImageNet.

Shapes never overlap, so every polygon is fully visible and the label maps
are exactly the union of the instance masks. Each picture is drawn from its
own random stream seeded by ``(seed, split, index)``: the output depends only
on the arguments, and changing the number of images keeps the others.

``mmpoolformer.datasets`` does not import this module: it needs pycocotools,
which comes with mmdet.
"""
import json
import os
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
from mmengine.utils import track_iter_progress
from pycocotools import mask as mask_utils

CLASSES = ('circle', 'square', 'triangle')
SPLITS = ('train', 'val')
MARKER = 'demo_data.json'
SUBDIRS = ('images', 'annotations', 'ann_dir', 'cls')

# Shape extent as a fraction of the image side, and placement settings.
MIN_EXTENT, MAX_EXTENT = 0.25, 0.45
MAX_TILT_DEG = 20
MIN_GAP = 3
MIN_COLOUR_DISTANCE = 120
CIRCLE_VERTICES = 32
# The extent of the one shape of a classification image, which is centred.
# Placed anywhere, as in the detection images, the classes are learnt from
# scratch far more slowly (PoolFormer-S12, batch 16 at 64 px, 3,000 images:
# top-1 0.68 after 561 iterations, against 0.95 centred).
CLS_MIN_EXTENT, CLS_MAX_EXTENT = 0.6, 0.9
# Classification images per detection image, in each split: a classifier
# learns from one label an image, a detector from every shape's box and mask
# (the classification demo's 600 iterations: top-1 0.85 from 500 images,
# 0.98 from 3,000).
CLS_IMAGES_PER_IMAGE = 6


def shape_polygon(label, center, extent, angle):
    """Vertices of a shape.

    Args:
        label (int): Index into :data:`CLASSES`.
        center (tuple[float, float]): Centre ``(x, y)`` in pixels.
        extent (float): Diameter of the circumscribed circle in pixels.
        angle (float): Rotation in radians (ignored for circles).

    Returns:
        np.ndarray: ``(N, 2)`` float array of ``(x, y)`` vertices.
    """
    num_vertices = {'circle': CIRCLE_VERTICES, 'square': 4, 'triangle': 3}
    n = num_vertices[CLASSES[label]]
    # Squares stand on an edge, triangles on their base, at angle 0.
    start = {'circle': 0., 'square': np.pi / 4, 'triangle': -np.pi / 2}
    theta = start[CLASSES[label]] + angle + np.arange(n) * 2 * np.pi / n
    xs = center[0] + extent / 2 * np.cos(theta)
    ys = center[1] + extent / 2 * np.sin(theta)
    return np.stack([xs, ys], axis=1)


def polygon_mask(polygon, height, width):
    """Rasterise a polygon exactly as pycocotools decodes it.

    Args:
        polygon (list[float]): Flat ``[x0, y0, x1, y1, ...]`` vertex list.
        height (int): Image height.
        width (int): Image width.

    Returns:
        np.ndarray: ``(height, width)`` bool mask.
    """
    rles = mask_utils.frPyObjects([polygon], height, width)
    return mask_utils.decode(mask_utils.merge(rles)).astype(bool)


def textured_background(rng, size):
    """A random colour with smooth blotches, stripes and pixel noise.

    Args:
        rng (np.random.Generator): Random stream.
        size (int): Image side.

    Returns:
        tuple[np.ndarray, np.ndarray]: The ``(size, size, 3)`` float image
        and its base colour.
    """
    base = rng.uniform(0, 255, size=3)
    grid = rng.normal(0, 30, size=(6, 6, 3)).astype(np.float32)
    blotches = cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    direction = rng.uniform(0, np.pi)
    period = rng.uniform(6, 24)
    phase = (xx * np.cos(direction) + yy * np.sin(direction)) / period
    stripes = rng.uniform(5, 20) * np.sin(2 * np.pi * phase)
    noise = rng.normal(0, 8, size=(size, size, 3))
    img = base + blotches + stripes[..., None] + noise
    return img, base


def shape_colour(rng, background):
    """A random colour far enough from the background colour to be seen."""
    while True:
        colour = rng.uniform(0, 255, size=3)
        if np.linalg.norm(colour - background) >= MIN_COLOUR_DISTANCE:
            return colour


def place_shape(rng, size, boxes):
    """Pick a centre and extent whose box keeps clear of the given boxes.

    Args:
        rng (np.random.Generator): Random stream.
        size (int): Image side.
        boxes (list[tuple]): ``(x0, y0, x1, y1)`` boxes already taken.

    Returns:
        tuple | None: ``(center, extent, box)``, or None after 50 tries.
    """
    for _ in range(50):
        extent = rng.uniform(MIN_EXTENT, MAX_EXTENT) * size
        half = extent / 2 + 1
        center = rng.uniform(half, size - half, size=2)
        box = (*(center - half), *(center + half))
        if all(boxes_apart(box, other) for other in boxes):
            return center, extent, box
    return None


def centre_shape(rng, size, boxes):
    """Pick the extent of a classification image's one shape, centred
    (:data:`CLS_MIN_EXTENT`, :data:`CLS_MAX_EXTENT`); ``boxes`` is ignored,
    for the image has no other shape.

    Returns:
        tuple: ``(center, extent, box)``.
    """
    extent = rng.uniform(CLS_MIN_EXTENT, CLS_MAX_EXTENT) * size
    center = np.full(2, size / 2)
    half = extent / 2 + 1
    return center, extent, (*(center - half), *(center + half))


def boxes_apart(a, b):
    """Whether two ``(x0, y0, x1, y1)`` boxes are at least
    :data:`MIN_GAP` pixels apart along x or y."""
    return (a[2] + MIN_GAP < b[0] or b[2] + MIN_GAP < a[0]
            or a[3] + MIN_GAP < b[1] or b[3] + MIN_GAP < a[1])


def draw_scene(rng, size, labels, place=place_shape):
    """Draw shapes of the given classes on a textured background.

    Args:
        rng (np.random.Generator): Random stream.
        size (int): Image side.
        labels (list[int]): Class index of each shape to draw; shapes that
            find no free room are skipped.
        place (callable): Picks each shape's ``(center, extent, box)``, or
            None, from ``(rng, size, boxes taken)``. Defaults to
            :func:`place_shape`.

    Returns:
        tuple[np.ndarray, list[dict]]: The ``uint8`` RGB image and one
        ``dict(label, polygon, mask)`` per drawn shape.
    """
    img, base = textured_background(rng, size)
    shapes, boxes = [], []
    for label in labels:
        placed = place(rng, size, boxes)
        if placed is None:
            continue
        center, extent, box = placed
        boxes.append(box)
        angle = np.deg2rad(rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG))
        vertices = shape_polygon(label, center, extent, angle)
        polygon = np.round(vertices, 2).reshape(-1).tolist()
        mask = polygon_mask(polygon, size, size)
        shading = rng.normal(0, 6, size=(int(mask.sum()), 3))
        img[mask] = shape_colour(rng, base) + shading
        shapes.append(dict(label=label, polygon=polygon, mask=mask))
    return np.clip(img, 0, 255).astype(np.uint8), shapes


def mask_box(mask):
    """Tight ``[x, y, w, h]`` pixel box of a non-empty mask."""
    ys, xs = np.nonzero(mask)
    x0, y0 = int(xs.min()), int(ys.min())
    return [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1]


def write_png(path, array):
    """Write an RGB image or a single-channel label map as PNG."""
    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(path, array):
        raise OSError(f'could not write {path}')


def progress(num_images, description):
    """``range(num_images)``, with the description and mmengine's progress
    bar on stderr (stdout keeps the summary)."""
    print(description, file=sys.stderr)
    return track_iter_progress(range(num_images), file=sys.stderr)


def make_split(out_dir, split, num_images, size, seed):
    """Write the detection/segmentation images and annotations of a split.

    Args:
        out_dir (str): Dataset root.
        split (str): ``'train'`` or ``'val'``.
        num_images (int): Number of images.
        size (int): Image side.
        seed (int): Base seed.

    Returns:
        dict: The COCO annotation dictionary written for the split.
    """
    img_dir = osp.join(out_dir, 'images', split)
    seg_dir = osp.join(out_dir, 'ann_dir', split)
    os.makedirs(img_dir)
    os.makedirs(seg_dir)
    images, annotations = [], []
    for index in progress(num_images,
                          f'{split}: detection and segmentation images'):
        rng = np.random.default_rng([seed, SPLITS.index(split), index])
        labels = rng.integers(len(CLASSES), size=rng.integers(1, 4))
        img, shapes = draw_scene(rng, size, labels.tolist())
        file_name = f'{index:06d}.png'
        label_map = np.zeros((size, size), dtype=np.uint8)
        for shape in shapes:
            label_map[shape['mask']] = shape['label'] + 1
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=index,
                    category_id=shape['label'] + 1,
                    bbox=mask_box(shape['mask']),
                    area=int(shape['mask'].sum()),
                    segmentation=[shape['polygon']],
                    iscrowd=0))
        write_png(osp.join(img_dir, file_name), img)
        write_png(osp.join(seg_dir, file_name), label_map)
        images.append(
            dict(id=index, file_name=file_name, width=size, height=size))
    coco = dict(
        info=dict(description=f'mmpoolformer demo shapes, {split} split'),
        licenses=[],
        images=images,
        annotations=annotations,
        categories=[
            dict(id=i + 1, name=name, supercategory='shape')
            for i, name in enumerate(CLASSES)
        ])
    ann_file = osp.join(out_dir, 'annotations', f'instances_{split}.json')
    os.makedirs(osp.dirname(ann_file), exist_ok=True)
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    return coco


def make_cls_split(out_dir, split, num_images, size, seed):
    """Write one-shape images in ``cls/<split>/<class>/`` folders, each
    shape placed by :func:`centre_shape`.

    Classes take turns, so the split is balanced.

    Args:
        out_dir (str): Dataset root.
        split (str): ``'train'`` or ``'val'``.
        num_images (int): Number of images.
        size (int): Image side.
        seed (int): Base seed.
    """
    for name in CLASSES:
        os.makedirs(osp.join(out_dir, 'cls', split, name))
    for index in progress(num_images, f'{split}: classification images'):
        # Streams 2 and 3 keep these images apart from the detection ones.
        rng = np.random.default_rng([seed, 2 + SPLITS.index(split), index])
        label = index % len(CLASSES)
        img, _ = draw_scene(rng, size, [label], place=centre_shape)
        write_png(
            osp.join(out_dir, 'cls', split, CLASSES[label],
                     f'{index:06d}.png'), img)


def prepare_out_dir(out_dir, settings):
    """Empty a previous demo dataset; refuse to touch anything else.

    Args:
        out_dir (str): Output directory.
        settings (dict): Generation arguments, recorded in the marker file.
    """
    marker = osp.join(out_dir, MARKER)
    if osp.isdir(out_dir) and os.listdir(out_dir):
        if not osp.isfile(marker):
            raise FileExistsError(
                f'{out_dir} is not empty and holds no {MARKER}: '
                'choose another --out')
        for name in SUBDIRS:
            shutil.rmtree(osp.join(out_dir, name), ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)
    with open(marker, 'w') as f:
        json.dump(dict(settings, classes=list(CLASSES)), f, indent=2)


def generate(out_dir, num_train=500, num_val=100, img_size=128, seed=0):
    """Generate the whole demo dataset.

    Args:
        out_dir (str): Output directory; created, or a previous demo
            dataset there is replaced.
        num_train (int): Training images of the detection and
            segmentation layouts; the classification layout has
            :data:`CLS_IMAGES_PER_IMAGE` times as many.
        num_val (int): Validation images, as ``num_train``.
        img_size (int): Image side in pixels.
        seed (int): Random seed.

    Returns:
        dict: Number of images and instances per split (detection and
        segmentation layouts).
    """
    counts = dict(train=num_train, val=num_val)
    prepare_out_dir(
        out_dir,
        dict(
            num_train=num_train, num_val=num_val, img_size=img_size,
            seed=seed))
    summary = {}
    for split in SPLITS:
        coco = make_split(out_dir, split, counts[split], img_size, seed)
        make_cls_split(out_dir, split, CLS_IMAGES_PER_IMAGE * counts[split],
                       img_size, seed)
        summary[split] = dict(
            images=len(coco['images']), instances=len(coco['annotations']))
    return summary
