# CAFormer-S18 (MetaFormer Baselines for Vision, TPAMI 2024) on ImageNet-1k,
# the official recipe: sail-sg/metaformer's
# scripts/caformer/train_caformer_s18.sh (LAMB, lr 8e-3 at batch 4096, 20
# warm-up epochs, drop path 0.15, head dropout 0) and the timm defaults of
# its train.py, as ConvFormer's (convformer_s18_in1k.py).
# Paper: top-1 83.6, 26M params, 4.1G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/caformer/caformer_s18.pth
# The other sizes inherit this file.
_base_ = './convformer_s18_in1k.py'

model = dict(
    backbone=dict(type='mmpoolformer.CAFormer', drop_path_rate=0.15))

# timm's Lamb with its defaults (betas (0.9, 0.999), eps 1e-6, gradients
# scaled to a global norm of at most 1); weight decay 0.05, none on norms,
# scales and biases (the base's paramwise_cfg, as timm does).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Lamb', lr=8e-3, weight_decay=0.05))
param_scheduler = [
    dict(_base_.timm_warmup, start_factor=1e-6 / 8e-3, end=20),
    _base_.timm_cosine
]
