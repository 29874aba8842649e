# CAFormer-B36 on ImageNet-1k, the official recipe (drop path 0.6, head
# dropout 0.5; the official train_caformer_b36.sh names caformer_s36, a
# slip: its drop rates are not S36's). Paper: top-1 85.5, 99M params, 23.2G
# MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/caformer/caformer_b36.pth
_base_ = './caformer_s18_in1k.py'

model = dict(
    backbone=dict(arch='b36', drop_path_rate=0.6),
    head=dict(in_channels=768, head_dropout=0.5))
