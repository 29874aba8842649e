# Hybrid: pooling in stages 1-2, attention in stages 3-4 (the paper's
# "Pool, Pool, Attention, Attention" model, Table 5).
_base_ = '../poolformer_s12_in1k.py'

model = dict(
    backbone=dict(
        token_mixer=('pooling', 'pooling', 'attention', 'attention')))
