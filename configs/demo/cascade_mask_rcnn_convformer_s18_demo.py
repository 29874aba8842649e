# Cascade Mask R-CNN-ConvFormer-S18 trained from scratch on the synthetic
# shapes of tools/make_demo_data.py: the COCO 3x config (mmdet's ConvNeXt
# recipe, _base_/recipes/cascade_mask_rcnn_3x_coco.py) with the demo data
# (single scale), 128 px images, heads of 128 channels and a 480-iteration
# schedule (shorten it with --cfg-options train_cfg.max_iters=N). From
# scratch, as the Mask R-CNN demo: AdamW with gradients clipped at 10 and the
# box heads at a tenth of the rate, in place of the recipe's fine-tuning
# optimizer; lr 1e-3, as the CAFormer RetinaNet demo (which diverged at
# 2e-3).
# The data (_base_/coco_demo.py) and the schedule's shape and hooks
# (_base_/schedule_demo.py) are shared with the other demos.
_base_ = [
    '../cascade_mask_rcnn_convformer_s18_3x_coco.py', './_base_/coco_demo.py',
    './_base_/schedule_demo.py'
]

data_root = _base_.demo_data_root
max_iters = 480
warmup_iters = 200

# No pretrained weights can be downloaded offline: train from scratch, from
# the official initialisation (the backbone's init_cfg=None).
load_from = None
# FPN, RPN and RoI heads at 128 channels (COCO: 256) and 64 sampled RoIs an
# image (COCO: 512): a few shapes per image need no more, and the step is
# mostly these heads.
channels = 128
model = dict(
    backbone=dict(init_cfg=None),
    neck=dict(out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=[
            dict(head, num_classes=3, in_channels=channels,
                 conv_out_channels=channels, fc_out_channels=4 * channels)
            for head in _base_.model.roi_head.bbox_head
        ],
        mask_roi_extractor=dict(out_channels=channels),
        mask_head=dict(num_classes=3, in_channels=channels,
                       conv_out_channels=channels)),
    train_cfg=dict(rcnn=[
        dict(stage, sampler=dict(stage.sampler, num=64))
        for stage in _base_.model.train_cfg.rcnn
    ]))

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
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=10, norm_type=2),
    paramwise_cfg=dict(custom_keys={'roi_head.bbox_head': dict(lr_mult=0.1)}))
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
default_hooks = _base_.demo_default_hooks
log_processor = _base_.demo_log_processor
randomness = _base_.demo_randomness
