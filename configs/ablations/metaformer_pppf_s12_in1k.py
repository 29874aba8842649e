# MetaFormer-S12 with pooling in stages 1-3 and a spatial FC in stage 4 (the
# paper's Table 5; the official metaformer_pppf_s12_224). The spatial FC's
# weights fix the input size: img_size 224, the backbone's default.
# Paper (Table 5): top-1 77.5, 11.9M params, 1.8G MACs at 224x224.
# Tested at 224 with crop ratio 0.9 (resize the short edge to 248), as S12.
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/metaformer_pppf_s12_224.pth.tar
_base_ = '../poolformer_s12_in1k.py'

model = dict(
    backbone=dict(
        token_mixer=('pooling', 'pooling', 'pooling', 'spatial_mlp')))
