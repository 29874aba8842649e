# Ablation: PoolFormer-S12 with LayerNorm over channels instead of GroupNorm.
_base_ = '../poolformer_s12_in1k.py'

model = dict(backbone=dict(norm_cfg=dict(type='LN2d')))
