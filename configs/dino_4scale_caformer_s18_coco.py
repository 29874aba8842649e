# DINO (4 scales) with a CAFormer-S18 backbone (MetaFormer Baselines) on
# COCO, 12 epochs (8 GPUs x 2 images), mmdet 3.3's recipe:
# _base_/recipes/dino_4scale_12e_coco.py. No published number for it. Drop
# path 0.15, as the authors' ImageNet training of the model; the backbone's
# last three stages feed the detector.
_base_ = [
    './_base_/recipes/dino_4scale_12e_coco.py',
    './_base_/models/caformer_s18.py'
]

model = dict(
    backbone=dict(
        _base_.backbone,
        _delete_=True,
        drop_path_rate=0.15,
        out_indices=(1, 2, 3)))
