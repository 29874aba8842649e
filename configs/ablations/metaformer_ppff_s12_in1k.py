# MetaFormer-S12 with pooling in stages 1-2 and a spatial FC in stages 3-4
# (the paper's Table 5; the official metaformer_ppff_s12_224). The spatial
# FC's weights fix the input size: img_size 224, the backbone's default.
# Paper (Table 5): top-1 77.9, 12.2M params, 1.9G MACs at 224x224.
# Tested at 224 with crop ratio 0.95 (resize the short edge to 235).
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/metaformer_ppff_s12_224.pth.tar
_base_ = '../poolformer_s12_in1k.py'

model = dict(
    backbone=dict(
        token_mixer=('pooling', 'pooling', 'spatial_mlp', 'spatial_mlp')))
test_pipeline = _base_.crop_095_test_pipeline
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
