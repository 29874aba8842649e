# CAFormer-S18 (MetaFormer Baselines) with the official ImageNet weights,
# for the detection and segmentation configs: they inherit the
# PoolFormer-S12 config of their head and this file, and set
# ``model = dict(backbone={{_base_.backbone}})``.
# Drop path: the authors' detection and segmentation recipe (PoolFormer's,
# after PVT) uses none, for backbones pretrained with 0.1-0.2. These are
# pretrained with more (ConvFormer-S18 0.2, CAFormer-S18 0.15, CAFormer-S36
# 0.3), and recipes of attention backbones keep some (Swin-T: 0.2 on
# ImageNet and on COCO), so we keep about two thirds of each model's
# ImageNet rate, to 0.1: 0.1 for the S18 models, 0.2 for CAFormer-S36.
backbone = dict(
    type='mmpoolformer.CAFormer',
    arch='s18',
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/sail/dl/resolve/main/'
        'caformer/caformer_s18.pth'))
