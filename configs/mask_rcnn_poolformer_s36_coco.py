# Mask R-CNN + FPN with a PoolFormer-S36 backbone on COCO, 1x schedule. Paper
# (MetaFormer, CVPR 2022): 50.5M params, box AP 41.0, mask AP 37.7 on val2017.
# The backbone: _base_/models/poolformer_s36.py.
_base_ = [
    './mask_rcnn_poolformer_s12_coco.py',
    './_base_/models/poolformer_s36.py'
]

model = dict(backbone={{_base_.backbone}})
