# Mask R-CNN + FPN with a CAFormer-S18 backbone (MetaFormer Baselines) on
# COCO, 1x schedule (12 epochs, 8 GPUs x 2 images), PoolFormer's detection
# recipe (AdamW, lr 2e-4). Neither the authors nor OpenMMLab report a number
# for it. The other MetaFormer Baselines Mask R-CNN configs inherit this
# file.
# Drop path: the authors' detection and segmentation recipe (PoolFormer's,
# after PVT) uses none, for backbones pretrained with 0.1-0.2. These are
# pretrained with more (ConvFormer-S18 0.2, CAFormer-S18 0.15, CAFormer-S36
# 0.3), and recipes of attention backbones keep some (Swin-T: 0.2 on
# ImageNet and on COCO), so we keep about two thirds of each model's
# ImageNet rate, to 0.1: 0.1 for the S18 models (as the RetinaNet
# CAFormer-S18 config), 0.2 for CAFormer-S36.
_base_ = './mask_rcnn_poolformer_s12_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpoolformer.CAFormer',
        arch='s18',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/sail/dl/resolve/main/'
            'caformer/caformer_s18.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))
