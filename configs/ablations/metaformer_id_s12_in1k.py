# MetaFormer-S12 with identity token mixers (the paper's Table 5; the
# official metaformer_id_s12): PoolFormer-S12 without token mixing.
# Paper (Table 5): top-1 74.3, 11.9M params, 1.8G MACs at 224x224.
# Tested at 224 with crop ratio 0.9 (resize the short edge to 248), as S12.
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/metaformer_id_s12.pth.tar
_base_ = '../poolformer_s12_in1k.py'

model = dict(backbone=dict(token_mixer='identity'))
