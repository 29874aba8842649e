# Mask R-CNN + FPN with a CAFormer-S36 backbone (MetaFormer Baselines) on
# COCO, 1x schedule, PoolFormer's detection recipe. Neither the authors nor
# OpenMMLab report a number for it. Drop path 0.2 (see
# mask_rcnn_caformer_s18_coco.py for the choice).
_base_ = './mask_rcnn_caformer_s18_coco.py'

model = dict(
    backbone=dict(
        arch='s36',
        drop_path_rate=0.2,
        init_cfg=dict(
            checkpoint='https://huggingface.co/sail/dl/resolve/main/'
            'caformer/caformer_s36.pth')))
