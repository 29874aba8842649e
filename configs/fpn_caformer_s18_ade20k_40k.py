# Semantic FPN with a CAFormer-S18 backbone (MetaFormer Baselines) on
# ADE20K, 40k iterations (8 GPUs x 4 images, 512x512 crops), PoolFormer's
# segmentation recipe (AdamW, lr 2e-4, poly). Neither the authors nor
# OpenMMLab report a number for it. Drop path 0.1 (see
# mask_rcnn_caformer_s18_coco.py for the choice). The other MetaFormer
# Baselines Semantic FPN configs inherit this file.
_base_ = './fpn_poolformer_s12_ade20k_40k.py'

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
