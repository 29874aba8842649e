# Ablation: PoolFormer-S12 with 9x9 pooling (the paper's Table 5).
_base_ = '../poolformer_s12_in1k.py'

model = dict(backbone=dict(pool_size=9))
