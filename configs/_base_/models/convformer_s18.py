# ConvFormer-S18 (MetaFormer Baselines) with the official ImageNet weights,
# for the detection and segmentation configs (see caformer_s18.py; drop
# path 0.1, for the choice see there too).
backbone = dict(
    type='mmpoolformer.ConvFormer',
    arch='s18',
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/sail/dl/resolve/main/'
        'convformer/convformer_s18.pth'))
