# UperNet with a CAFormer-S18 backbone (MetaFormer Baselines) on ADE20K, 160k
# iterations (8 GPUs x 2 images, 512x512 crops), mmseg's ConvNeXt recipe:
# _base_/recipes/upernet_ade20k_160k.py. No published number for it. Drop
# path 0.15, as the authors' ImageNet training of the model.
_base_ = [
    './_base_/recipes/upernet_ade20k_160k.py',
    './_base_/models/caformer_s18.py'
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, drop_path_rate=0.15))
