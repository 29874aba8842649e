"""Draws docs/metaformer_design.png, the README's figure: the MetaFormer
block with the token mixer of each family, and the four-stage backbone with
the outputs a detector or segmentor takes.

    python docs/figures/draw_metaformer_design.py [--out FILE.png]
"""
import argparse

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

MIXER = '#f4c06a'
NORM = '#9cc9e8'
MLP = '#a8d8a0'
PLAIN = '#e6e6e6'
# The token mixer of each family, by stage.
FAMILIES = [
    ('PoolFormer (v1, v2)', 'pooling: AvgPool(x) - x', 'all stages'),
    ('ConvFormer', 'separable conv (7x7 depthwise)', 'all stages'),
    ('CAFormer', 'separable conv | attention', 'stages 1-2 | 3-4'),
    ('MetaFormer-S12', 'identity, pooling, attention', 'one a stage'),
    ('', 'or spatial MLP', ''),
]


def box(ax, x, y, w, h, text, color, size=10):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle='round,pad=0.02,rounding_size=0.08',
                                facecolor=color, edgecolor='#333333'))
    ax.text(x, y, text, ha='center', va='center', fontsize=size)


def arrow(ax, start, end, **style):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle='-|>',
                                 mutation_scale=12, color='#333333',
                                 **style))


def draw_block(ax):
    ax.set_title('MetaFormer block (one per layer)', fontsize=12)
    x, steps = 1.7, [('Norm', NORM), ('Token mixer', MIXER), ('+', PLAIN),
                     ('Norm', NORM), ('Channel MLP\nfc1, act, fc2', MLP),
                     ('+', PLAIN)]
    ys = [8.6 - 1.35 * i for i in range(len(steps))]
    arrow(ax, (x, 9.9), (x, ys[0] + 0.35))
    ax.text(x + 0.15, 9.7, 'x', fontsize=11)
    for (text, color), y in zip(steps, ys):
        w = 0.6 if text == '+' else 2.0
        box(ax, x, y, w, 0.7 if text != '+' else 0.5, text, color)
    for top, bottom in zip(ys, ys[1:]):
        arrow(ax, (x, top - 0.35), (x, bottom + 0.35))
    arrow(ax, (x, ys[-1] - 0.3), (x, ys[-1] - 1.1))
    # The residual paths around each branch (scaled by its layer scale).
    side = x - 1.35
    for start, plus in ((9.35, ys[2]), (ys[2] - 0.55, ys[5])):
        ax.plot([x, side, side], [start, start, plus], color='#777777')
        arrow(ax, (side, plus), (x - 0.3, plus), linestyle='-')
    for branch, plus in ((ys[1], ys[2]), (ys[4], ys[5])):
        ax.text(x + 0.12, (branch + plus) / 2 - 0.05, 'x layer scale',
                fontsize=8)
    ax.text(3.6, 9.3, 'token mixer of each family', fontsize=11,
            weight='bold')
    for i, (family, mixer, where) in enumerate(FAMILIES):
        y = 8.6 - 0.75 * i
        ax.text(3.6, y, family, fontsize=9, weight='bold')
        ax.text(6.4, y, mixer, fontsize=9)
        ax.text(10.1, y, where, fontsize=8, color='#555555')
    ax.text(3.6, 4.4, 'norm: one-group GroupNorm (PoolFormer v1, v2), '
            'LayerNorm over\nchannels (ConvFormer, CAFormer); act: GELU (v1) '
            'or StarReLU (the\nBaselines); MLP: 1x1 convolutions (v1) or '
            'linear layers; the Baselines\nscale the shortcut '
            'instead of the branch in stages 3-4',
            fontsize=8.5, color='#333333')
    ax.set_xlim(-0.2, 11.7)
    ax.set_ylim(0.5, 10.2)
    ax.axis('off')


def draw_backbone(ax):
    ax.set_title('Backbone: a stem and four stages', fontsize=12)
    parts = [('image\nH x W', PLAIN), ('stem\npatch embed, /4', NORM),
             ('stage 1\nH/4, C1', MIXER), ('downsample /2', NORM),
             ('stage 2\nH/8, C2', MIXER), ('downsample /2', NORM),
             ('stage 3\nH/16, C3', MIXER), ('downsample /2', NORM),
             ('stage 4\nH/32, C4', MIXER)]
    x = 1.6
    ys = [9.4 - 1.08 * i for i in range(len(parts))]
    for (text, color), y in zip(parts, ys):
        box(ax, x, y, 2.4, 0.78, text, color, size=9)
    for top, bottom in zip(ys, ys[1:]):
        arrow(ax, (x, top - 0.39), (x, bottom + 0.39))
    for stage, y in enumerate(ys[2::2]):
        arrow(ax, (x + 1.2, y), (x + 2.3, y))
        box(ax, x + 3.2, y, 1.6, 0.6, 'norm', NORM, size=9)
        arrow(ax, (x + 4.0, y), (x + 4.6, y))
        ax.text(x + 4.7, y, f'out {stage}', va='center', fontsize=9)
    ax.text(0.2, -0.75, 'out_indices picks the outputs (neck / FPN levels, '
            'strides 4-32),\neach through its own norm (norm{i}); stages '
            'after the last one\nare not built',
            fontsize=8.5, color='#333333')
    ax.set_xlim(0, 7.5)
    ax.set_ylim(-1.5, 10.2)
    ax.axis('off')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='docs/metaformer_design.png')
    args = parser.parse_args()
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(13, 6.2), gridspec_kw=dict(width_ratios=[1.45, 1]))
    draw_block(left)
    draw_backbone(right)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
