# RetinaNet-CAFormer-S18 trained from scratch on the demo data, exactly as
# the PoolFormer-S12 demo is (same data, schedule and optimiser): the
# MetaFormer Baselines' strongest small model next to PoolFormer-S12. With
# this recipe (lr 2e-3) it diverged once at iteration 430 of the warm-up
# (docs/demo.md): a lower rate is still to be found.
_base_ = ['./retinanet_poolformer_s12_demo.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpoolformer.CAFormer',
        arch='s18',
        out_indices=(1, 2, 3),
        init_cfg=None),
    neck=dict(in_channels=[128, 320, 512]))
