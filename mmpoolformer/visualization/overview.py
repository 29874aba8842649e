"""One picture of many detection results: the images in a grid, each with
its true boxes and the predicted boxes above a score threshold."""
import math
import os.path as osp
from dataclasses import dataclass
from typing import Sequence, Tuple

import mmcv
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..datasets import DataError
from .detections import DetectionSample

# Pure colours (RGB), easy to tell from the shapes and to find in the
# picture again; true boxes are drawn wider, under the predicted ones, so
# that a prediction on its true box leaves both visible.
TRUE_COLOUR = (0, 255, 0)
PREDICTED_COLOUR = (255, 0, 255)
BACKGROUND = (32, 32, 32)
TRUE_WIDTH, PREDICTED_WIDTH = 4, 2  # pixels
DPI = 100


@dataclass(frozen=True)
class GridLayout:
    """Where the overview puts things, in pixels: a header for the legend,
    then rows of ``columns`` square cells of side ``cell``, ``gap`` apart
    and from the border.

    Args:
        num_images (int): The cells.
        columns (int): Cells per row. Defaults to 4.
        cell (int): Side of a cell. Defaults to 256.
        gap (int): Space around cells. Defaults to 8.
        header (int): Height of the legend's strip. Defaults to 28.
    """
    num_images: int
    columns: int = 4
    cell: int = 256
    gap: int = 8
    header: int = 28

    @property
    def rows(self) -> int:
        return math.ceil(self.num_images / self.columns)

    @property
    def size(self) -> Tuple[int, int]:
        """The picture's ``(width, height)``."""
        columns = min(self.columns, self.num_images)
        return (self.gap + columns * (self.cell + self.gap),
                self.header + self.gap + self.rows * (self.cell + self.gap))

    def image_box(self, index: int, height: int,
                  width: int) -> Tuple[float, float, float, float]:
        """``(left, top, right, bottom)`` of the ``index``-th image, of
        ``height`` x ``width`` pixels, scaled to fit its cell (aspect ratio
        kept, top left)."""
        row, column = divmod(index, self.columns)
        scale = self.cell / max(height, width)
        left = self.gap + column * (self.cell + self.gap)
        top = self.header + self.gap + row * (self.cell + self.gap)
        return left, top, left + width * scale, top + height * scale


def _colour(rgb: Sequence[int]) -> Tuple[float, ...]:
    return tuple(channel / 255 for channel in rgb)


def _box(bbox, rgb, width) -> Rectangle:
    """An unfilled, unsmoothed rectangle (its pixels keep the exact
    colour) of ``width`` pixels around ``x1, y1, x2, y2``."""
    x1, y1, x2, y2 = map(float, bbox)
    return Rectangle((x1, y1),
                     x2 - x1,
                     y2 - y1,
                     fill=False,
                     edgecolor=_colour(rgb),
                     linewidth=width * 72 / DPI,
                     antialiased=False)


def draw_detection_overview(samples: Sequence[DetectionSample],
                            class_names: Sequence[str],
                            out_file: str,
                            score_thr: float = 0.3,
                            columns: int = 4) -> None:
    """Draws the samples in a grid (see :class:`GridLayout`) into a PNG:
    true boxes in :data:`TRUE_COLOUR`, predicted boxes scoring at least
    ``score_thr`` in :data:`PREDICTED_COLOUR` with their class and score,
    and each image's file name.

    Args:
        samples (Sequence[DetectionSample]): The images, at least one.
        class_names (Sequence[str]): Class names by label.
        out_file (str): The PNG to write.
        score_thr (float): Defaults to 0.3, as ``demo/image_demo.py``.
        columns (int): Images per row. Defaults to 4.

    Raises:
        DataError: An image file is missing.
    """
    layout = GridLayout(len(samples), columns)
    width, height = layout.size
    figure = Figure(
        figsize=(width / DPI, height / DPI),
        dpi=DPI,
        facecolor=_colour(BACKGROUND))
    figure.legend(
        handles=[
            Patch(fill=False, edgecolor=_colour(TRUE_COLOUR),
                  label='ground truth'),
            Patch(fill=False, edgecolor=_colour(PREDICTED_COLOUR),
                  label=f'prediction with score >= {score_thr:g}: '
                  'class score')
        ],
        loc='upper left',
        bbox_to_anchor=(layout.gap / width, 1),
        ncols=2,
        frameon=False,
        fontsize=10,
        labelcolor='white',
        borderaxespad=0.3)
    for index, sample in enumerate(samples):
        if not osp.isfile(sample.img_path):
            raise DataError(f'image not found: {sample.img_path} (paths in '
                            'the predictions are relative to the folder '
                            'tools/test.py ran in)')
        image = mmcv.imread(sample.img_path, channel_order='rgb')
        image_height, image_width = image.shape[:2]
        left, top, right, bottom = layout.image_box(index, image_height,
                                                    image_width)
        axes = figure.add_axes((left / width, 1 - bottom / height,
                                (right - left) / width,
                                (bottom - top) / height))
        axes.set_axis_off()
        axes.imshow(
            image,
            extent=(0, image_width, image_height, 0),
            interpolation='nearest')
        for bbox in sample.true_bboxes:
            axes.add_patch(_box(bbox, TRUE_COLOUR, TRUE_WIDTH))
        kept = sample.scores >= score_thr
        for bbox, score, label in zip(sample.bboxes[kept],
                                      sample.scores[kept],
                                      sample.labels[kept]):
            axes.add_patch(_box(bbox, PREDICTED_COLOUR, PREDICTED_WIDTH))
            axes.text(
                bbox[0],
                bbox[1],
                f'{class_names[label]} {score:.2f}',
                color='white',
                fontsize=7,
                va='top',
                clip_on=True,
                bbox=dict(
                    facecolor=_colour(PREDICTED_COLOUR),
                    alpha=0.6,
                    edgecolor='none',
                    pad=1))
        axes.text(
            2,
            image_height - 2,
            osp.basename(sample.img_path),
            color='white',
            fontsize=7,
            bbox=dict(facecolor='black', alpha=0.5, edgecolor='none',
                      pad=1))
    figure.savefig(out_file, dpi=DPI, facecolor=figure.get_facecolor())
