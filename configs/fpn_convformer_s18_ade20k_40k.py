# Semantic FPN with a ConvFormer-S18 backbone (MetaFormer Baselines) on
# ADE20K, 40k iterations, PoolFormer's segmentation recipe. Neither the
# authors nor OpenMMLab report a number for it. Drop path 0.1 (see
# mask_rcnn_caformer_s18_coco.py for the choice).
_base_ = './fpn_caformer_s18_ade20k_40k.py'

model = dict(
    backbone=dict(
        type='mmpoolformer.ConvFormer',
        init_cfg=dict(
            checkpoint='https://huggingface.co/sail/dl/resolve/main/'
            'convformer/convformer_s18.pth')))
