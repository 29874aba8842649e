# The synthetic shapes of tools/make_demo_data.py in COCO format (data/demo)
# at 128 px, shared by the detection demos, which inherit this
# file next to their COCO config:
#   _base_ = ['../<COCO config>.py', './_base_/coco_demo.py', ...]
# The COCO configs already set data_root, the pipelines, the dataloaders and
# the evaluators, and two bases of one config may not set the same key: those
# are the demo_* values here, which each demo assigns to the real keys
# (train_pipeline = _base_.demo_coco_train_pipeline, ...). A demo sets its own
# train batch size.
metainfo = dict(
    classes=('circle', 'square', 'triangle'),
    palette=[(220, 20, 60), (0, 128, 255), (255, 170, 0)])
img_scale = (128, 128)
demo_data_root = 'data/demo/'

demo_coco_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
demo_coco_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
demo_coco_dataset = dict(data_root=demo_data_root, metainfo=metainfo)
demo_coco_train_dataloader = dict(
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        demo_coco_dataset,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=demo_coco_train_pipeline))
demo_coco_val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        demo_coco_dataset,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='images/val/'),
        pipeline=demo_coco_test_pipeline))
demo_coco_val_evaluator = dict(ann_file=demo_data_root +
                               'annotations/instances_val.json')
# The same with the instance masks loaded, for the Mask R-CNN and Cascade
# Mask R-CNN demos.
demo_coco_mask_train_pipeline, demo_coco_mask_test_pipeline = ([
    dict(t, with_mask=True) if t['type'] == 'LoadAnnotations' else t
    for t in p
] for p in (demo_coco_train_pipeline, demo_coco_test_pipeline))
demo_coco_mask_train_dataloader = dict(
    demo_coco_train_dataloader,
    dataset=dict(
        demo_coco_train_dataloader['dataset'],
        pipeline=demo_coco_mask_train_pipeline))
demo_coco_mask_val_dataloader = dict(
    demo_coco_val_dataloader,
    dataset=dict(
        demo_coco_val_dataloader['dataset'],
        pipeline=demo_coco_mask_test_pipeline))
