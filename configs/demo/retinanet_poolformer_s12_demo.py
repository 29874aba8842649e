# RetinaNet-PoolFormer-S12 trained from scratch on the synthetic shapes of
# tools/make_demo_data.py: the COCO config with the demo data, 128 px images,
# a 900-iteration schedule (shorten it with
# --cfg-options train_cfg.max_iters=N) and an FPN and head of 128 channels
# instead of 256 (three classes of shapes; the step 1.8x as fast on a 2-core
# CPU, docs/performance.md).
# The data (_base_/coco_demo.py) and the schedule's shape and hooks
# (_base_/schedule_demo.py) are shared with the other demos.
_base_ = [
    '../retinanet_poolformer_s12_coco.py', './_base_/coco_demo.py',
    './_base_/schedule_demo.py'
]

data_root = _base_.demo_data_root
max_iters = 900
warmup_iters = 500

# No pretrained weights can be downloaded offline: train from scratch, from
# the official initialisation (the backbone's init_cfg=None).
load_from = None
model = dict(
    backbone=dict(init_cfg=None),
    neck=dict(out_channels=128),
    bbox_head=dict(num_classes=3, in_channels=128, feat_channels=128))

train_pipeline = _base_.demo_coco_train_pipeline
test_pipeline = _base_.demo_coco_test_pipeline
train_dataloader = dict(_base_.demo_coco_train_dataloader, batch_size=8)
val_dataloader = _base_.demo_coco_val_dataloader
test_dataloader = val_dataloader
val_evaluator = _base_.demo_coco_val_evaluator
test_evaluator = val_evaluator

# Iteration-based schedule: validate and save once, at the end.
train_cfg = dict(
    _base_.demo_train_cfg, max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(
    optimizer=dict(lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
default_hooks = _base_.demo_default_hooks
log_processor = _base_.demo_log_processor
randomness = _base_.demo_randomness
