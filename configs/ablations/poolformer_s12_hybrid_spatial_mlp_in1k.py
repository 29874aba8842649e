# Hybrid: pooling in stages 1-2, spatial MLP in stages 3-4 (the paper's
# "Pool, Pool, Spatial FC, Spatial FC" model, Table 5). The spatial MLP's
# weights fix the input size: 224x224.
_base_ = '../poolformer_s12_in1k.py'

model = dict(
    backbone=dict(
        token_mixer=('pooling', 'pooling', 'spatial_mlp', 'spatial_mlp'),
        img_size=224))
