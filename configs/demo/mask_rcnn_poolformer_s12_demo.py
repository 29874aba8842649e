# Mask R-CNN-PoolFormer-S12 trained from scratch on the synthetic shapes of
# tools/make_demo_data.py: the COCO config with the demo data, 128 px images
# and a 360-iteration schedule (shorten it with
# --cfg-options train_cfg.max_iters=N).
# The data (_base_/coco_demo.py) and the schedule's shape and hooks
# (_base_/schedule_demo.py) are shared with the other demos.
_base_ = [
    '../mask_rcnn_poolformer_s12_coco.py', './_base_/coco_demo.py',
    './_base_/schedule_demo.py'
]

data_root = _base_.demo_data_root
max_iters = 360
warmup_iters = 200

# No pretrained weights can be downloaded offline: train from scratch, from
# the official initialisation (the backbone's init_cfg=None).
load_from = None
model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict(
        bbox_head=dict(num_classes=3), mask_head=dict(num_classes=3)),
    # A few shapes per image need far fewer sampled RoIs than COCO's 512.
    train_cfg=dict(rcnn=dict(sampler=dict(num=128))))

train_pipeline = _base_.demo_coco_mask_train_pipeline
test_pipeline = _base_.demo_coco_mask_test_pipeline
train_dataloader = dict(_base_.demo_coco_mask_train_dataloader, batch_size=4)
val_dataloader = _base_.demo_coco_mask_val_dataloader
test_dataloader = val_dataloader
val_evaluator = _base_.demo_coco_val_evaluator
test_evaluator = val_evaluator

# Iteration-based schedule: validate and save once, at the end.
train_cfg = dict(
    _base_.demo_train_cfg, max_iters=max_iters, val_interval=max_iters)
# The large fully connected box head diverges from scratch at the backbone's
# rate (the whole model at 2e-3 gave segm mAP 0.06): it learns at a tenth of
# it. The convolutional mask head keeps the full rate.
optim_wrapper = dict(
    optimizer=dict(lr=2e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10, norm_type=2),
    paramwise_cfg=dict(custom_keys={'roi_head.bbox_head': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
default_hooks = _base_.demo_default_hooks
log_processor = _base_.demo_log_processor
randomness = _base_.demo_randomness
