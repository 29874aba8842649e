"""Params and MACs of the MetaFormer Baselines classifiers at 224x224
against the sail-sg/metaformer README, counted as tools/get_flops.py
counts them; attention counted as the official matrix products."""
import os.path as osp

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from tool_runs import ROOT, assert_ok, run_in_process

from mmpoolformer.analysis import build_model, count_complexity, dummy_batch
from mmpoolformer.deploy import TensorMode

# The README's table: params (M) and MACs (G) as printed; a count matches
# when it rounds to the printed digits.
README = {
    'poolformerv2_s12': ('11.9', '1.8'),
    'poolformerv2_s24': ('21.3', '3.4'),
    'poolformerv2_s36': ('30.8', '5.0'),
    'poolformerv2_m36': ('56.1', '8.8'),
    'poolformerv2_m48': ('73.3', '11.5'),
    'convformer_s18': ('27', '3.9'),
    'convformer_s36': ('40', '7.6'),
    'convformer_m36': ('57', '12.8'),
    'convformer_b36': ('100', '22.6'),
    'caformer_s18': ('26', '4.1'),
    'caformer_s36': ('39', '8.0'),
    'caformer_m36': ('56', '13.2'),
    'caformer_b36': ('99', '23.2'),
}


def config_path(name):
    return osp.join(ROOT, 'configs', f'{name}_in1k.py')


def rounds_to(value, printed):
    """Whether ``value`` rounds to ``printed`` at its number of
    decimals."""
    decimals = len(printed.split('.')[1]) if '.' in printed else 0
    return f'{value:.{decimals}f}' == printed


def test_rounding_is_to_the_printed_digits():
    assert rounds_to(26.342, '26') and not rounds_to(26.5001, '26')
    assert rounds_to(4.972, '5.0') and not rounds_to(4.94, '5.0')


@pytest.mark.parametrize('name', sorted(README))
def test_params_and_macs_round_to_the_readme(name):
    """What tools/get_flops.py counts: the config's model on a 224x224
    batch of one, as its data preprocessor passes it."""
    cfg = Config.fromfile(config_path(name))
    model = build_model(cfg)
    with torch.no_grad():
        data = model.data_preprocessor(
            dummy_batch(cfg.default_scope, (224, 224)))
    counts = count_complexity(
        TensorMode(model).eval(), (data['inputs'], ))
    params, macs = README[name]
    assert rounds_to(counts['params'] / 1e6, params), counts['params']
    assert rounds_to(counts['macs'] / 1e9, macs), counts['macs']
    attention = counts['by_operator'].get('scaled_dot_product_attention', 0)
    assert (attention > 0) == name.startswith('caformer')


def test_get_flops_prints_the_readme_numbers():
    result = run_in_process('get_flops.py', config_path('caformer_s18'))
    assert_ok(result)
    assert 'input shape: 224x224' in result.stdout
    params = float(result.stdout.split('params: ')[1].split('M')[0])
    macs = float(result.stdout.split('MACs: ')[1].split('G')[0])
    full = float(result.stdout.split('MACs (full): ')[1].split('G')[0])
    assert rounds_to(params, '26') and rounds_to(macs, '4.1')
    assert macs < full < 1.03 * macs


class OfficialAttentionProducts(torch.nn.Module):
    """The official Attention's two products, ``q @ k^T`` and
    ``attn @ v``, which fvcore counts as matmuls."""

    def forward(self, q, k, v):
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return attn @ v


class FusedAttention(torch.nn.Module):

    def forward(self, q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v)


def test_fused_attention_counts_as_the_official_products():
    """CAFormer-S18's attention at 224x224: 14x14 tokens, 10 heads of 32
    channels in stage 2 (9 blocks), 7x7 tokens and 16 heads in stage 3
    (3 blocks)."""
    q, k, v = torch.randn(3, 1, 10, 196, 32)
    official = FlopAnalyzer(OfficialAttentionProducts(), (q, k, v)).total()
    assert official == 2 * 10 * 196 * 196 * 32
    assert count_complexity(FusedAttention(), (q, k, v))['macs'] == official

    from mmpoolformer import CAFormer
    backbone = CAFormer('s18', out_indices=(3, )).eval()
    counts = count_complexity(backbone, (torch.randn(1, 3, 224, 224), ))
    expected = 9 * 2 * 10 * 196**2 * 32 + 3 * 2 * 16 * 49**2 * 32
    assert counts['by_operator']['scaled_dot_product_attention'] == expected
