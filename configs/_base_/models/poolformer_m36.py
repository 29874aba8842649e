# PoolFormer-M36 with the official ImageNet weights, for the detection and
# segmentation configs: they inherit the PoolFormer-S12 config of their head
# and this file, and set ``model = dict(backbone={{_base_.backbone}})``.
backbone = dict(
    type='mmpoolformer.PoolFormer',
    arch='m36',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/poolformer/releases/'
        'download/v1.0/poolformer_m36.pth.tar'))
