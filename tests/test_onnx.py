"""ONNX export of the backbone and of a segmentor, checked in onnxruntime."""
import pytest
import torch
from conftest import randomize_

from mmpoolformer import PoolFormer
from mmpoolformer.deploy import check_onnx, export_onnx

pytest.importorskip('onnxruntime')


@pytest.mark.parametrize('fused', [False, True])
def test_backbone_round_trip_without_instance_norm(tmp_path, fused):
    model = randomize_(PoolFormer('s12'), seed=2).eval()
    if fused:
        model.fuse()
    path = export_onnx(model, torch.randn(1, 3, 96, 128),
                       str(tmp_path / 'backbone.onnx'),
                       output_names=[f'stage{i}' for i in range(4)])
    # Another batch and size than the export example: axes are dynamic.
    diff, ops = check_onnx(path, model, torch.randn(2, 3, 64, 160))
    assert diff < 1e-4
    assert 'InstanceNormalization' not in ops
    assert 'GroupNormalization' not in ops
    assert {'Conv', 'AveragePool', 'ReduceMean'} <= set(ops)


def test_position_embedding_resizes_in_the_exported_graph(tmp_path):
    """Exported at the embedding's own size, the graph still resizes it
    for other input sizes, as PyTorch does."""
    model = randomize_(
        PoolFormer('s12', token_mixer=('pooling', 'pooling', 'attention',
                                       'attention'), norm_cfg='ln',
                   pos_embed=(False, False, True, False), img_size=96),
        seed=5).eval()
    path = export_onnx(model, torch.randn(1, 3, 96, 96),
                       str(tmp_path / 'backbone.onnx'),
                       output_names=[f'stage{i}' for i in range(4)])
    for size in ((96, 96), (64, 160)):
        diff, ops = check_onnx(path, model, torch.randn(1, 3, *size))
        assert diff < 1e-4
    assert 'Resize' in ops


def test_segmentor_round_trip(tmp_path):
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    segmentor = MODELS.build(
        dict(type='EncoderDecoder',
             backbone=dict(type='mmpoolformer.PoolFormer', arch='s12'),
             neck=dict(type='FPN', in_channels=[64, 128, 320, 512],
                       out_channels=64, num_outs=4),
             decode_head=dict(type='FPNHead', in_channels=[64] * 4,
                              in_index=[0, 1, 2, 3],
                              feature_strides=[4, 8, 16, 32], channels=32,
                              num_classes=5, norm_cfg=dict(type='BN')),
             test_cfg=dict(mode='whole'))).eval()

    class Logits(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.segmentor = segmentor

        def forward(self, x):
            return self.segmentor(x, mode='tensor')

    path = export_onnx(Logits().eval(), torch.randn(1, 3, 96, 64),
                       str(tmp_path / 'segmentor.onnx'), dynamic=False)
    diff, _ = check_onnx(path, Logits().eval(), torch.randn(1, 3, 96, 64))
    assert diff < 1e-4


def test_export_tool_checks_the_segmentor_it_writes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    checkpoint = tmp_path / 'fpn.pth'
    backbone = randomize_(PoolFormer('s12'), seed=4).state_dict()
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in backbone.items()}}, checkpoint)
    out = tmp_path / 'fpn.onnx'
    result = subprocess.run([
        sys.executable,
        str(root / 'tools/deploy/export_onnx.py'),
        str(root / 'configs/fpn_poolformer_s12_ade20k_40k.py'),
        str(checkpoint), '--whole', '--shape', '64', '--out', str(out)
    ], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.is_file()
    diff = float(result.stdout.split('max abs diff ')[1].split()[0])
    assert diff < 1e-3
