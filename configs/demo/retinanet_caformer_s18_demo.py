# RetinaNet-CAFormer-S18 trained from scratch on the demo data, as the
# PoolFormer-S12 demo is (same data, schedule and gradient clipping): the
# MetaFormer Baselines' strongest small model next to PoolFormer-S12. Only
# the rate differs: with PoolFormer's 2e-3 it diverged at iteration 430 of
# the warm-up (docs/demo.md), so it trains at half that. It keeps the COCO
# config's FPN and head of 256 channels, with which it was measured.
_base_ = ['./retinanet_poolformer_s12_demo.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpoolformer.CAFormer',
        arch='s18',
        out_indices=(1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[128, 320, 512], out_channels=256),
    bbox_head=dict(in_channels=256, feat_channels=256))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
