# ConvFormer-S36 (MetaFormer Baselines) with the official ImageNet weights,
# for the detection and segmentation configs (see caformer_s18.py; drop
# path 0.2, for the choice see there too).
backbone = dict(
    type='mmpoolformer.ConvFormer',
    arch='s36',
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/sail/dl/resolve/main/'
        'convformer/convformer_s36.pth'))
