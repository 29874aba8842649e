# PoolFormerV2-S36 on ImageNet-1k, the official recipe (drop path 0.2).
# Paper: top-1 81.6, 30.8M params, 5.0G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s36.pth
_base_ = './poolformerv2_s12_in1k.py'

model = dict(backbone=dict(arch='s36', drop_path_rate=0.2))
