# ConvFormer-B36 on ImageNet-1k, the official recipe (drop path 0.6, head
# dropout 0). Paper: top-1 84.8, 100M params, 22.6G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/convformer/convformer_b36.pth
_base_ = './convformer_s18_in1k.py'

model = dict(
    backbone=dict(arch='b36', drop_path_rate=0.6), head=dict(in_channels=768))
