# RetinaNet + FPN with a CAFormer-S18 backbone (MetaFormer Baselines) on
# COCO, 1x schedule (12 epochs, 8 GPUs x 2 images), PoolFormer's detection
# recipe. Neither the authors nor OpenMMLab report a number for it.
# The other MetaFormer Baselines RetinaNet configs inherit this file.
_base_ = './retinanet_poolformer_s12_coco.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpoolformer.CAFormer',
        arch='s18',
        # The FPN starts at stride 8, so stage 0 has no output.
        out_indices=(1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/sail/dl/resolve/main/'
            'caformer/caformer_s18.pth')),
    neck=dict(in_channels=[128, 320, 512]))
