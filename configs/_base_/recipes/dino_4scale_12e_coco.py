# DINO, 4 scales, 12 epochs on COCO (8 GPUs x 2 images): mmdet 3.3's recipe
# as it is for ResNet-50 (AdamW lr 1e-4, weight decay 1e-4, the backbone at
# a tenth of the rate, gradients clipped at 0.1, a step at epoch 11), for
# the MetaFormer Baselines of stage widths 64, 128, 320, 512: three backbone
# levels (strides 8, 16, 32) into the channel mapper, which adds the
# fourth. A config of ours inherits this file and a backbone of
# _base_/models/, and sets the backbone with the drop path of the authors'
# ImageNet training of that model.
_base_ = 'mmdet::dino/dino-4scale_r50_8xb2-12e_coco.py'

custom_imports = dict(imports=['mmpoolformer'], allow_failed_imports=False)

model = dict(neck=dict(in_channels=[128, 320, 512]))
