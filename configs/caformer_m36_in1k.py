# CAFormer-M36 on ImageNet-1k, the official recipe (drop path 0.4, head
# dropout 0.4). Paper: top-1 85.2, 56M params, 13.2G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/caformer/caformer_m36.pth
_base_ = './caformer_s18_in1k.py'

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.4),
    head=dict(in_channels=576, head_dropout=0.4))
