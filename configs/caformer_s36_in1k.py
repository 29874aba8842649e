# CAFormer-S36 on ImageNet-1k, the official recipe (drop path 0.3, head
# dropout 0.4). Paper: top-1 84.5, 39M params, 8.0G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/caformer/caformer_s36.pth
_base_ = './caformer_s18_in1k.py'

model = dict(
    backbone=dict(arch='s36', drop_path_rate=0.3),
    head=dict(head_dropout=0.4))
