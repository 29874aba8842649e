# RetinaNet + FPN with a PoolFormer-S24 backbone on COCO, 1x schedule.
# Paper (MetaFormer, CVPR 2022): 31.1M params, box AP 38.9 on val2017.
_base_ = './retinanet_poolformer_s12_coco.py'

model = dict(
    backbone=dict(
        arch='s24',
        init_cfg=dict(
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s24.pth.tar')))
