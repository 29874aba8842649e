"""The MetaFormer Baselines in timm, the reference implementation, with
random weights, and their state dicts under the official names."""
import re

import timm
import torch

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


def official_layout(timm_state: dict) -> dict:
    """timm's state dict under the sail-sg/metaformer names, with linear
    layers where timm has 1x1 convolutions."""
    official = {}
    for key, value in timm_state.items():
        key = re.sub(r'^stem\.conv\.', 'downsample_layers.0.conv.', key)
        key = re.sub(r'^stem\.norm\.', 'downsample_layers.0.post_norm.', key)
        key = re.sub(r'^stages\.(\d+)\.downsample\.norm\.',
                     r'downsample_layers.\1.pre_norm.', key)
        key = re.sub(r'^stages\.(\d+)\.downsample\.conv\.',
                     r'downsample_layers.\1.conv.', key)
        key = re.sub(r'^stages\.(\d+)\.blocks\.(\d+)\.', r'stages.\1.\2.',
                     key)
        key = re.sub(r'^head\.norm\.', 'norm.', key)
        key = re.sub(r'^head\.fc\.', 'head.', key)
        if re.search(r'\.(mlp\.fc\d|pwconv\d)\.weight$', key):
            value = value.flatten(1)
        official[key] = value
    return official
