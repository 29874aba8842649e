# Mask R-CNN + FPN with a PoolFormer-S24 backbone on COCO, 1x schedule. Paper
# (MetaFormer, CVPR 2022): 41.0M params, box AP 40.1, mask AP 37.0 on val2017.
# The backbone: _base_/models/poolformer_s24.py.
_base_ = [
    './mask_rcnn_poolformer_s12_coco.py',
    './_base_/models/poolformer_s24.py'
]

model = dict(backbone={{_base_.backbone}})
