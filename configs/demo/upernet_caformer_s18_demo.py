# UperNet-CAFormer-S18 trained from scratch on the label maps of
# tools/make_demo_data.py: the ADE20K 160k config (mmseg's ConvNeXt recipe,
# _base_/recipes/upernet_ade20k_160k.py) with the demo data, 128 px images,
# a short schedule and heads of demo size (128 channels in the decode head,
# 64 in the auxiliary FCN; 512 and 256 upstream). As the RetinaNet-CAFormer
# demo, it trains at lr 1e-3 with gradients clipped at 10; the recipe's
# stage-wise rate decay (0.9) stays.
# The data (_base_/seg_demo.py) and the schedule's shape and hooks
# (_base_/schedule_demo.py) are shared with the other demos.
_base_ = [
    '../upernet_caformer_s18_ade20k_160k.py', './_base_/seg_demo.py',
    './_base_/schedule_demo.py'
]

data_root = _base_.demo_data_root
crop_size = _base_.demo_crop_size
max_iters = 1200
warmup_iters = 600

# No pretrained weights can be downloaded offline: train from scratch, from
# the official initialisation (the backbone's init_cfg=None).
load_from = None
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=None),
    decode_head=dict(channels=128, num_classes=4),
    auxiliary_head=dict(channels=64, num_classes=4),
    test_cfg=dict(_delete_=True, mode='whole'))

train_pipeline = _base_.demo_seg_train_pipeline
test_pipeline = _base_.demo_seg_test_pipeline
train_dataloader = _base_.demo_seg_train_dataloader
val_dataloader = _base_.demo_seg_val_dataloader
test_dataloader = val_dataloader

# Iteration-based schedule: validate and save once, at the end.
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3), clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
default_hooks = _base_.demo_default_hooks
randomness = _base_.demo_randomness
