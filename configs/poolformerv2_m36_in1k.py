# PoolFormerV2-M36 on ImageNet-1k, the official recipe (drop path 0.3).
# Paper: top-1 82.2, 56.1M params, 8.8G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_m36.pth
_base_ = './poolformerv2_s12_in1k.py'

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.3), head=dict(in_channels=768))
