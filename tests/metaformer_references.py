"""The MetaFormer Baselines in timm, the reference implementation, with
random weights, and their weights in the official module tree
(sail-sg/metaformer's), written out here name by name."""
import timm
import torch
import torch.nn as nn

from mmpoolformer import CAFormer, ConvFormer, PoolFormerV2

# Our class and timm's model name prefix of each family.
FAMILIES = {
    'PoolFormerV2': (PoolFormerV2, 'poolformerv2'),
    'ConvFormer': (ConvFormer, 'convformer'),
    'CAFormer': (CAFormer, 'caformer'),
}


def random_timm_model(family: str, arch: str, seed: int = 0):
    """timm's classifier with random weights, scales and norm weights
    around 1, in eval mode."""
    model = timm.create_model(f'{FAMILIES[family][1]}_{arch}')
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            near_one = name.endswith('.scale') or (
                'norm' in name and name.endswith('.weight'))
            values = torch.rand(param.shape, generator=generator) + 0.5 \
                if near_one else torch.randn(
                    param.shape, generator=generator) * 0.05
            param.copy_(values)
    return model.eval()


class Tensors(nn.Module):
    """A leaf of the official module tree: parameters of these names and
    shapes."""

    def __init__(self, **shapes):
        super().__init__()
        for name, shape in shapes.items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape)))


def tree(**children):
    module = nn.Module()
    for name, child in children.items():
        module.add_module(name, child)
    return module


def linear(out_features, in_features, bias=False):
    return Tensors(weight=(out_features, in_features),
                   **({'bias': (out_features, )} if bias else {}))


STAR_RELU = dict(scale=(1, ), bias=(1, ))
# The token mixer of each stage, as sail-sg/metaformer's model functions
# pick it.
MIXERS = {
    'PoolFormerV2': ('pooling', ) * 4,
    'ConvFormer': ('sepconv', ) * 4,
    'CAFormer': ('sepconv', 'sepconv', 'attention', 'attention'),
}


def official_mixer(kind, dim):
    """sail-sg/metaformer's ``Pooling`` (no parameters), ``SepConv``
    (``pwconv1``, ``act1`` a StarReLU, ``dwconv`` 7x7, ``pwconv2``; linear
    layers without bias, expansion 2) or ``Attention`` (``qkv``, ``proj``,
    without bias)."""
    if kind == 'pooling':
        return nn.Module()
    if kind == 'sepconv':
        return tree(pwconv1=linear(2 * dim, dim), act1=Tensors(**STAR_RELU),
                    dwconv=Tensors(weight=(2 * dim, 1, 7, 7)),
                    pwconv2=linear(dim, 2 * dim))
    return tree(qkv=linear(3 * dim, dim), proj=linear(dim, dim))


def official_tree(family, depths, dims, mlp_head, num_classes):
    """The module tree of sail-sg/metaformer's ``MetaFormer`` (its
    ``metaformer_baselines.py``), written out name by name: the stem and
    downsampling ``downsample_layers.{i}`` (``conv``; the stem's
    ``post_norm``, the others' ``pre_norm``), the blocks ``stages.{i}.{j}``
    (``norm1``, ``token_mixer``, ``res_scale1`` from stage 2 on, ``norm2``,
    ``mlp`` with ``fc1``, ``act``, ``fc2``), the final ``norm`` and the
    ``head`` (``nn.Linear``, or ``MlpHead``'s ``fc1``, ``norm``, ``fc2``).
    Norms without bias, scales and StarReLUs have the official shapes."""
    downsample_layers = nn.ModuleList()
    stages = nn.ModuleList()
    for i, (depth, dim) in enumerate(zip(depths, dims)):
        layer = tree(conv=Tensors(
            weight=(dim, 3 if i == 0 else dims[i - 1], 7 if i == 0 else 3,
                    7 if i == 0 else 3), bias=(dim, )))
        if i == 0:
            layer.post_norm = Tensors(weight=(dim, ))
        else:
            layer.pre_norm = Tensors(weight=(dims[i - 1], ))
        downsample_layers.append(layer)
        blocks = nn.Sequential()
        for j in range(depth):
            block = tree(norm1=Tensors(weight=(dim, )),
                         token_mixer=official_mixer(MIXERS[family][i], dim))
            if i >= 2:
                block.res_scale1 = Tensors(scale=(dim, ))
            block.norm2 = Tensors(weight=(dim, ))
            block.mlp = tree(fc1=linear(4 * dim, dim),
                             act=Tensors(**STAR_RELU),
                             fc2=linear(dim, 4 * dim))
            if i >= 2:
                block.res_scale2 = Tensors(scale=(dim, ))
            blocks.add_module(str(j), block)
        stages.append(blocks)
    head = tree(fc1=linear(4 * dims[-1], dims[-1], bias=True),
                norm=Tensors(weight=(4 * dims[-1], ), bias=(4 * dims[-1], )),
                fc2=linear(num_classes, 4 * dims[-1], bias=True)) if mlp_head \
        else linear(num_classes, dims[-1], bias=True)
    return tree(downsample_layers=downsample_layers, stages=stages,
                norm=Tensors(weight=(dims[-1], ), bias=(dims[-1], )),
                head=head)


def _as_linear(state):
    """1x1 convolution weights (timm's) as the official linear ones."""
    return {key: value.flatten(1) if value.dim() == 4
            and value.shape[-2:] == (1, 1) else value
            for key, value in state.items()}


def official_layout(reference) -> dict:
    """The weights of timm's model ``reference`` in the official module
    tree (:func:`official_tree`), moved over module by module, each load
    strict: the official checkpoint of the same model."""
    family = next(name for name, (_, prefix) in FAMILIES.items()
                  if reference.pretrained_cfg['architecture'].startswith(
                      prefix + '_'))
    depths = [len(stage.blocks) for stage in reference.stages]
    dims = [stage.blocks[0].norm1.weight.shape[0]
            for stage in reference.stages]
    official = official_tree(family, depths, dims,
                             mlp_head=hasattr(reference.head.fc, 'fc1'),
                             num_classes=reference.num_classes)
    official.to(next(reference.parameters()).dtype)
    pairs = [(official.downsample_layers[0].conv, reference.stem.conv),
             (official.downsample_layers[0].post_norm, reference.stem.norm),
             (official.norm, reference.head.norm),
             (official.head, reference.head.fc)]
    for i, stage in enumerate(reference.stages):
        if i > 0:
            pairs += [(official.downsample_layers[i].conv,
                       stage.downsample.conv),
                      (official.downsample_layers[i].pre_norm,
                       stage.downsample.norm)]
        pairs += [(official.stages[i][j], block)
                  for j, block in enumerate(stage.blocks)]
    for ours, theirs in pairs:
        ours.load_state_dict(_as_linear(theirs.state_dict()), strict=True)
    state = official.state_dict()
    assert len(state) == len(reference.state_dict())
    return state
