# RetinaNet + FPN with a PoolFormer-S36 backbone on COCO, 1x schedule. Paper
# (MetaFormer, CVPR 2022): 40.6M params, box AP 39.5 on val2017. The backbone:
# _base_/models/poolformer_s36.py.
_base_ = [
    './retinanet_poolformer_s12_coco.py',
    './_base_/models/poolformer_s36.py'
]

model = dict(backbone={{_base_.backbone}})
