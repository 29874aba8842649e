# PoolFormer-M36 on ImageNet-1k. Paper: top-1 82.1, 56.2M params, 8.8G MACs.
# Tested at 224 with crop ratio 0.95 (resize the short edge to 235).
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_m36.pth.tar
_base_ = './poolformer_s12_in1k.py'

model = dict(
    backbone=dict(arch='m36', drop_path_rate=0.3), head=dict(in_channels=768))
test_pipeline = _base_.crop_095_test_pipeline
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
