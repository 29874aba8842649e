# RetinaNet + FPN with a PoolFormer-S36 backbone on COCO, 1x schedule.
# Paper (MetaFormer, CVPR 2022): 40.6M params, box AP 39.5 on val2017.
_base_ = './retinanet_poolformer_s12_coco.py'

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s36.pth.tar')))
