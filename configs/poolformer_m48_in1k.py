# PoolFormer-M48 on ImageNet-1k. Paper: top-1 82.5, 73.5M params, 11.6G MACs.
# Tested at 224 with crop ratio 0.95 (resize the short edge to 235).
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_m48.pth.tar
_base_ = './poolformer_m36_in1k.py'

model = dict(backbone=dict(arch='m48', drop_path_rate=0.4))
