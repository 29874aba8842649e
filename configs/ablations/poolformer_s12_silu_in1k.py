# Ablation: PoolFormer-S12 with SiLU instead of GELU.
_base_ = '../poolformer_s12_in1k.py'

model = dict(backbone=dict(act_cfg=dict(type='SiLU')))
