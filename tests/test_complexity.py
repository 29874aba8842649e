"""Params and MACs at 224x224 against the paper's table."""
import pytest
import torch
from conftest import ARCHS

from mmpoolformer import PoolFormer
from mmpoolformer.analysis import count_complexity

PAPER_GMACS = {'s12': 1.8, 's24': 3.4, 's36': 5.0, 'm36': 8.8, 'm48': 11.6}


class Classifier(torch.nn.Module):
    """The official classifier: backbone, final norm, mean, linear head."""

    def __init__(self, arch, **kwargs):
        super().__init__()
        self.backbone = PoolFormer(arch, out_indices=(3, ), **kwargs)
        self.head = torch.nn.Linear(self.backbone.embed_dims[-1], 1000)

    def forward(self, x):
        return self.head(self.backbone(x)[0].mean((2, 3)))


@pytest.mark.parametrize('arch', ARCHS)
def test_macs_match_paper_within_one_percent(arch):
    counts = count_complexity(Classifier(arch).eval(),
                              (torch.randn(1, 3, 224, 224), ))
    assert counts['macs'] / 1e9 == pytest.approx(PAPER_GMACS[arch], rel=0.01)
    # The full count adds norms, pooling and element-wise work: a little.
    extra = counts['macs_full'] - counts['macs']
    assert 0 < extra < 0.03 * counts['macs']
    assert {'group_norm', 'avg_pool2d', 'gelu'} <= set(counts['by_operator'])


def test_hybrid_counts_attention_products():
    hybrid = Classifier(
        's12', token_mixer=('pooling', 'pooling', 'attention', 'attention'))
    counts = count_complexity(hybrid.eval(), (torch.randn(1, 3, 224, 224), ))
    # The paper's "Pool, Pool, Attention, Attention": 16.5M, 2.5G MACs.
    assert counts['params'] / 1e6 == pytest.approx(16.5, abs=0.05)
    assert counts['macs'] / 1e9 == pytest.approx(2.5, rel=0.03)
    assert counts['by_operator']['scaled_dot_product_attention'] > 0
