# Semantic FPN-PoolFormer-S12 trained from scratch on the label maps of
# tools/make_demo_data.py: the ADE20K config with the demo data, 128 px
# images and a short iteration schedule (shorten it with
# --cfg-options train_cfg.max_iters=N).
# The data (_base_/seg_demo.py) and the schedule's shape and hooks
# (_base_/schedule_demo.py) are shared with the other demos.
_base_ = [
    '../fpn_poolformer_s12_ade20k_40k.py', './_base_/seg_demo.py',
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
    decode_head=dict(num_classes=4))

train_pipeline = _base_.demo_seg_train_pipeline
test_pipeline = _base_.demo_seg_test_pipeline
train_dataloader = _base_.demo_seg_train_dataloader
val_dataloader = _base_.demo_seg_val_dataloader
test_dataloader = val_dataloader

# Iteration-based schedule: validate and save once, at the end (ADE20K's
# loop is iteration-based already: no _base_.demo_train_cfg).
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=2e-3, weight_decay=0.05))
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
default_hooks = _base_.demo_default_hooks
randomness = _base_.demo_randomness
