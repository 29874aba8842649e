# MetaFormer-S12 with pooling in stages 1-3 and attention in stage 4 (the
# paper's Table 5; the official metaformer_pppa_s12_224): LayerNorm over
# channels instead of GroupNorm, and a learnable position embedding added
# before stage 4 (built for 224x224 inputs, resized for others).
# Paper (Table 5): top-1 78.3, 14.0M params, 1.9G MACs at 224x224.
# Tested at 224 with crop ratio 0.95 (resize the short edge to 235).
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/metaformer_pppa_s12_224.pth.tar
_base_ = '../poolformer_s12_in1k.py'

model = dict(
    backbone=dict(
        token_mixer=('pooling', 'pooling', 'pooling', 'attention'),
        norm_cfg=dict(type='LN2d'),
        pos_embed=(False, False, False, True)))
test_pipeline = _base_.crop_095_test_pipeline
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
