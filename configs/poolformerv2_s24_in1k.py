# PoolFormerV2-S24 on ImageNet-1k, the official recipe (drop path 0.1).
# Paper: top-1 80.7, 21.3M params, 3.4G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s24.pth
_base_ = './poolformerv2_s12_in1k.py'

model = dict(backbone=dict(arch='s24', drop_path_rate=0.1))
