# ConvFormer-S18 (MetaFormer Baselines for Vision, TPAMI 2024) on
# ImageNet-1k, the official recipe: sail-sg/metaformer's
# scripts/convformer/train_convformer_s18.sh (AdamW, lr 4e-3 at batch 4096,
# 20 warm-up epochs, drop path 0.2, head dropout 0) and the timm defaults of
# its train.py, as PoolFormerV2's (poolformerv2_s12_in1k.py).
# Paper: top-1 83.0, 27M params, 3.9G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/convformer/convformer_s18.pth
# The other sizes inherit this file, and CAFormer-S18 builds on it.
_base_ = './poolformerv2_s12_in1k.py'

model = dict(
    backbone=dict(type='mmpoolformer.ConvFormer', arch='s18',
                  drop_path_rate=0.2),
    # The official MLP classifier: fc1 (4x), SquaredReLU, LayerNorm,
    # dropout, fc2.
    head=dict(mlp_ratio=4, head_dropout=0.))

param_scheduler = [dict(_base_.timm_warmup, end=20), _base_.timm_cosine]
