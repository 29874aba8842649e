# Mask R-CNN + FPN with a PoolFormer-S12 backbone on COCO, 1x schedule
# (12 epochs, 8 GPUs x 2 images).
# Paper (MetaFormer, CVPR 2022): 31.6M params, box AP 37.3, mask AP
# 34.6 on val2017. The size variants (s24, s36) inherit this file.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmpoolformer'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpoolformer.PoolFormer',
        arch='s12',
        out_indices=(0, 1, 2, 3),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s12.pth.tar')),
    neck=dict(in_channels=[64, 128, 320, 512]))

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=2e-4, weight_decay=1e-4))
