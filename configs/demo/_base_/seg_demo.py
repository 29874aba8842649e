# The label maps of tools/make_demo_data.py (data/demo) at 128 px, shared by
# the Semantic FPN and UperNet demos, which inherit this file next to their
# ADE20K config:
#   _base_ = ['../<ADE20K config>.py', './_base_/seg_demo.py', ...]
# As in coco_demo.py, the keys the ADE20K configs already set are demo_*
# values here, which each demo assigns to the real keys.
# Unlike ADE20K, label 0 (background) is a class here (reduce_zero_label is
# off), so the mIoU also scores how well the shapes are told from the
# background. ADE20KDataset only accepts ADE20K class names: the demo's label
# maps are read by the generic BaseSegDataset.
metainfo = dict(
    classes=('background', 'circle', 'square', 'triangle'),
    palette=[[0, 0, 0], [220, 20, 60], [0, 128, 255], [255, 170, 0]])
demo_data_root = 'data/demo/'
demo_crop_size = (128, 128)

# Images larger than the crop size (a user's own data) are scaled down to fit
# it, so that a batch stacks; smaller ones are padded by the data
# preprocessor. The demo's 128 px images pass unchanged. The flip comes
# first: flipped after the resize, a map one pixel wide (a 1000x8 image
# scaled down) keeps a negative stride that PackSegInputs cannot take.
demo_seg_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Resize', scale=demo_crop_size, keep_ratio=True),
    dict(type='PackSegInputs')
]
demo_seg_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
demo_seg_dataset = dict(
    type='BaseSegDataset',
    data_root=demo_data_root,
    metainfo=metainfo,
    img_suffix='.png',
    reduce_zero_label=False)
demo_seg_train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        demo_seg_dataset,
        data_prefix=dict(
            img_path='images/train', seg_map_path='ann_dir/train'),
        pipeline=demo_seg_train_pipeline))
demo_seg_val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(
        demo_seg_dataset,
        data_prefix=dict(img_path='images/val', seg_map_path='ann_dir/val'),
        pipeline=demo_seg_test_pipeline))
