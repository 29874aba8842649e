# PoolFormerV2-M48 on ImageNet-1k, the official recipe (drop path 0.4).
# Paper: top-1 82.6, 73.3M params, 11.5G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_m48.pth
_base_ = './poolformerv2_s12_in1k.py'

model = dict(
    backbone=dict(arch='m48', drop_path_rate=0.4), head=dict(in_channels=768))
