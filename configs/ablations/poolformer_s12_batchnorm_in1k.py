# Ablation: PoolFormer-S12 with BatchNorm instead of GroupNorm.
_base_ = '../poolformer_s12_in1k.py'

model = dict(backbone=dict(norm_cfg=dict(type='BN')))
