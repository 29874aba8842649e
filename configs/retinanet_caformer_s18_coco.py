# RetinaNet + FPN with a CAFormer-S18 backbone (MetaFormer Baselines) on COCO,
# 1x schedule (12 epochs, 8 GPUs x 2 images), PoolFormer's detection recipe.
# Neither the authors nor OpenMMLab report a number for it. The backbone:
# _base_/models/caformer_s18.py.
_base_ = [
    './retinanet_poolformer_s12_coco.py',
    './_base_/models/caformer_s18.py'
]

model = dict(backbone={{_base_.backbone}})
