# Mask R-CNN + FPN with a PoolFormer-S36 backbone on COCO, 1x schedule.
# Paper (MetaFormer, CVPR 2022): 50.5M params, box AP 41.0, mask AP
# 37.7 on val2017.
_base_ = './mask_rcnn_poolformer_s12_coco.py'

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s36.pth.tar')))
