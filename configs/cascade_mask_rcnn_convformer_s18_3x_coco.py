# Cascade Mask R-CNN + FPN with a ConvFormer-S18 backbone (MetaFormer
# Baselines) on COCO, 3x schedule with multi-scale training (36 epochs, 8
# GPUs x 2 images), mmdet's ConvNeXt recipe:
# _base_/recipes/cascade_mask_rcnn_3x_coco.py. No published number for it.
# Drop path 0.2, as the authors' ImageNet training of the model.
_base_ = [
    './_base_/recipes/cascade_mask_rcnn_3x_coco.py',
    './_base_/models/convformer_s18.py'
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, drop_path_rate=0.2))
