# PoolFormer-S12 classifier trained from scratch on the one-shape images of
# tools/make_demo_data.py (data/demo/cls, ImageFolder layout, 3 classes, the
# shape centred): the ImageNet config with the demo data resized to
# 64 px, without its crops and batch mixing (a crop would move or cut the
# shape), and a 600-iteration schedule (shorten it with --cfg-options
# train_cfg.max_iters=N).
# The schedule's shape and hooks (_base_/schedule_demo.py) are shared with
# the other demos.
_base_ = ['../poolformer_s12_in1k.py', './_base_/schedule_demo.py']

data_root = 'data/demo/cls'
max_iters = 600
warmup_iters = 60

model = dict(
    backbone=dict(drop_path_rate=0.),
    head=dict(num_classes=3),
    train_cfg=dict(_delete_=True))
data_preprocessor = dict(num_classes=3)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=64, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=64, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='PackInputs'),
]
# The ImageFolder layout: CustomDataset replaces the ImageNet dataset.
demo_cls_dataset = dict(
    _delete_=True, type='CustomDataset', data_root=data_root)
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        demo_cls_dataset, data_prefix='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(demo_cls_dataset, data_prefix='val', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(enable=False)
param_scheduler = [
    dict(_base_.demo_warmup, end=warmup_iters),
    dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)
]
train_cfg = dict(
    _base_.demo_train_cfg, max_iters=max_iters, val_interval=max_iters)
default_hooks = _base_.demo_default_hooks
log_processor = _base_.demo_log_processor
randomness = _base_.demo_randomness
