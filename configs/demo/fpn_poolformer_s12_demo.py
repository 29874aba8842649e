# Semantic FPN-PoolFormer-S12 trained from scratch on the label maps of
# tools/make_demo_data.py: the ADE20K config with the demo data, 128 px
# images and a short iteration schedule (shorten it with
# --cfg-options train_cfg.max_iters=N).
# Unlike ADE20K, label 0 (background) is a class here (reduce_zero_label is
# off), so the mIoU also scores how well the shapes are told from the
# background. ADE20KDataset only accepts ADE20K class names: the demo's label
# maps are read by the generic BaseSegDataset.
# The schedule's shape and hooks (_base_/schedule_demo.py) are shared with
# the other demos.
_base_ = ['../fpn_poolformer_s12_ade20k_40k.py', './_base_/schedule_demo.py']

data_root = 'data/demo/'
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle'),
    palette=[[0, 0, 0], [220, 20, 60], [0, 128, 255], [255, 170, 0]])
crop_size = (128, 128)
max_iters = 1200
warmup_iters = 600

# No pretrained weights can be downloaded offline: train from scratch, from
# the official initialisation (the backbone's init_cfg=None).
load_from = None
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(init_cfg=None),
    decode_head=dict(num_classes=4))

# Images larger than the crop size (a user's own data) are scaled down to fit
# it, so that a batch stacks; smaller ones are padded by the data
# preprocessor. The demo's 128 px images pass unchanged. The flip comes
# first: flipped after the resize, a map one pixel wide (a 1000x8 image
# scaled down) keeps a negative stride that PackSegInputs cannot take.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
demo_seg_dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=metainfo,
    img_suffix='.png',
    reduce_zero_label=False)
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        demo_seg_dataset,
        data_prefix=dict(
            img_path='images/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(
        demo_seg_dataset,
        data_prefix=dict(img_path='images/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline))
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
