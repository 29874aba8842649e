# MetaFormer-S12 with pooling in stages 1-2 and attention in stages 3-4 (the
# paper's Table 5; the official metaformer_ppaa_s12_224): LayerNorm over
# channels instead of GroupNorm, and a learnable position embedding added
# before stage 3 (built for 224x224 inputs, resized for others).
# Paper: top-1 81.0, 16.5M params, 2.5G MACs at 224x224.
# Tested at 224 with crop ratio 0.95 (resize the short edge to 235).
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/metaformer_ppaa_s12_224.pth.tar
_base_ = '../poolformer_s12_in1k.py'

model = dict(
    backbone=dict(
        token_mixer=('pooling', 'pooling', 'attention', 'attention'),
        norm_cfg=dict(type='LN2d'),
        pos_embed=(False, False, True, False)))
test_pipeline = _base_.crop_095_test_pipeline
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
