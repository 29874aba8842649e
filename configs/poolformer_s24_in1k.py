# PoolFormer-S24 on ImageNet-1k. Paper: top-1 80.3, 21.4M params, 3.4G MACs.
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s24.pth.tar
_base_ = './poolformer_s12_in1k.py'

model = dict(backbone=dict(arch='s24', drop_path_rate=0.1))
