# RetinaNet + FPN with a CAFormer-S36 backbone (MetaFormer Baselines) on COCO,
# 1x schedule, PoolFormer's detection recipe. Neither the authors nor OpenMMLab
# report a number for it. The backbone: _base_/models/caformer_s36.py.
_base_ = [
    './retinanet_poolformer_s12_coco.py',
    './_base_/models/caformer_s36.py'
]

model = dict(backbone={{_base_.backbone}})
