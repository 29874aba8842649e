# PoolFormerV2-S12 (MetaFormer Baselines for Vision, TPAMI 2024) on
# ImageNet-1k, the official recipe: sail-sg/metaformer's
# scripts/poolformerv2/train_poolformerv2_s12.sh (AdamW, lr 4e-3 at batch
# 4096, 5 warm-up epochs, drop path 0.1) and the timm defaults of its
# train.py, as PoolFormer's (poolformer_s12_in1k.py): 300 cosine epochs to
# 1e-5 and 10 cooldown epochs, weight decay 0.05, label smoothing 0.1,
# Mixup 0.8, CutMix 1.0, RandAugment rand-m9-mstd0.5-inc1, random erasing
# 0.25, no repeated augmentation, no EMA, no gradient clipping.
# Paper: top-1 78.0, 11.9M params, 1.8G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://huggingface.co/sail/dl/resolve/main/poolformerv2/poolformerv2_s12.pth
# The other sizes inherit this file, and ConvFormer-S18 builds on it.
_base_ = './poolformer_s12_in1k.py'

# The head needs mmpretrain, which `import mmpoolformer` does not import.
custom_imports = dict(
    imports=['mmpoolformer', 'mmpoolformer.models.heads'],
    allow_failed_imports=False)

model = dict(
    # The official classifier: the mean of the last stage's map, a
    # LayerNorm (eps 1e-6) and the classifier, so the backbone has no
    # output norm of its own.
    backbone=dict(
        type='mmpoolformer.PoolFormerV2',
        arch='s12',
        out_indices=(3, ),
        out_norm_cfg=None,
        drop_path_rate=0.1),
    # Keeps the base's loss (label smoothing 0.1) and init (trunc normal,
    # std 0.02); a linear classifier.
    head=dict(type='mmpoolformer.MetaFormerClsHead'))

# The official test crop ratio is 1.0: the short edge resized to 224.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=224,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# timm's schedule (warmup_prefix=False): its cosine runs from epoch 0 to
# 300 and the linear warm-up from warmup_lr 1e-6 replaces its first epochs.
# The cosine scheduler therefore starts at 0 too, beside the warm-up: from
# the warm-up's end on the rate is timm's (within 1e-4), during it within 1%.
# After epoch 300 it stays at min_lr for the 10 cooldown epochs.
timm_warmup = dict(
    type='LinearLR',
    start_factor=1e-6 / 4e-3,
    by_epoch=True,
    end=5,
    convert_to_iter_based=True)
timm_cosine = dict(
    type='CosineAnnealingLR',
    eta_min=1e-5,
    by_epoch=True,
    begin=0,
    end=300,
    convert_to_iter_based=True)
param_scheduler = [timm_warmup, timm_cosine]
