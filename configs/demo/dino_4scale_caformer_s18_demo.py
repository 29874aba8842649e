# DINO-CAFormer-S18 (4 scales) trained from scratch on the synthetic shapes
# of tools/make_demo_data.py: the COCO config (mmdet 3.3's DINO recipe,
# _base_/recipes/dino_4scale_12e_coco.py) with the demo data, 128 px images
# and 100 queries (a 128 px image has 340 positions on the encoder's four
# levels to pick DINO's 900 from). A transformer detector learns slowly from
# scratch: this demo shows the pipeline run and the loss fall, not a useful
# detector (docs/demo.md).
# The data (_base_/coco_demo.py) and the schedule's shape and hooks
# (_base_/schedule_demo.py) are shared with the other demos.
_base_ = [
    '../dino_4scale_caformer_s18_coco.py', './_base_/coco_demo.py',
    './_base_/schedule_demo.py'
]

data_root = _base_.demo_data_root
max_iters = 100
warmup_iters = 20

# No pretrained weights can be downloaded offline: train from scratch, from
# the official initialisation (the backbone's init_cfg=None).
load_from = None
model = dict(
    backbone=dict(init_cfg=None),
    num_queries=100,
    bbox_head=dict(num_classes=3))

train_pipeline = _base_.demo_coco_train_pipeline
test_pipeline = _base_.demo_coco_test_pipeline
train_dataloader = dict(_base_.demo_coco_train_dataloader, batch_size=4)
val_dataloader = _base_.demo_coco_val_dataloader
test_dataloader = val_dataloader
val_evaluator = _base_.demo_coco_val_evaluator
test_evaluator = val_evaluator

# Iteration-based schedule: validate and save once, at the end.
train_cfg = dict(
    _base_.demo_train_cfg, max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
default_hooks = _base_.demo_default_hooks
log_processor = _base_.demo_log_processor
randomness = _base_.demo_randomness
