# PoolFormer-S12 on ImageNet-1k, the official recipe (mmpretrain): 300
# cosine epochs and 10 cooldown epochs.
# Paper: top-1 77.2, 11.9M params, 1.8G MACs at 224x224.
# Official weights (tools/test.py evaluates them as they are):
# https://github.com/sail-sg/poolformer/releases/download/v1.0/poolformer_s12.pth.tar
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs128_poolformer_small_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['mmpoolformer'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    # The backbone's last output norm is the official final norm.
    backbone=dict(
        type='mmpoolformer.PoolFormer',
        arch='s12',
        out_indices=(3, ),
        drop_path_rate=0.1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=512,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=.02, bias=0.)),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]))

# 32 GPUs x 128 images; lr = batch / 1024 x 1e-3.
train_dataloader = dict(batch_size=128)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
# The test pipeline at crop ratio 0.95 (the short edge resized to 235, then a
# 224 centre crop) of the M36, M48 and three MetaFormer-S12 configs, which set
#   test_pipeline = _base_.crop_095_test_pipeline
#   val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
crop_095_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=235,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
optim_wrapper = dict(optimizer=dict(lr=4e-3, weight_decay=0.05))
auto_scale_lr = dict(base_batch_size=4096)

# timm's defaults, which the official training used: 5 linear warm-up
# epochs from 1e-6 (warmup_lr), cosine decay to 1e-5 (min_lr) at epoch 300,
# then 10 cooldown epochs at 1e-5 (cooldown_epochs): 310 epochs in all. No
# scheduler acts after epoch 300, so the rate stays at the cosine's minimum.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6 / 4e-3,
        by_epoch=True,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        end=300,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=310, val_interval=1)
