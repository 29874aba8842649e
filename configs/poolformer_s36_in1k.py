# PoolFormer-S36 on ImageNet-1k. Paper: top-1 81.4, 30.9M params, 5.0G MACs.
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s36.pth.tar
_base_ = './poolformer_s12_in1k.py'

model = dict(backbone=dict(arch='s36', drop_path_rate=0.2))
