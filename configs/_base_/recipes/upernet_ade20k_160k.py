# UperNet on ADE20K, 160k iterations (8 GPUs x 2 images, 512x512 crops):
# mmseg's ConvNeXt UperNet recipe (AdamW lr 1e-4, weight decay 0.05, 1500
# warm-up iterations, then linear decay; an FCN auxiliary head on stage 3;
# sliding-window test), for the MetaFormer Baselines of stage widths 64,
# 128, 320, 512, with our stage-wise learning-rate decay at ConvNeXt's rate
# there (0.9 a stage: the stem learns at 0.9^5 of the head's rate). The
# upstream recipe trains with AMP (fp16): add --amp to tools/train.py on
# GPUs. A config of ours inherits this file and a backbone of
# _base_/models/, and sets the backbone with the drop path of the authors'
# ImageNet training of that model.
_base_ = 'mmseg::convnext/convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py'  # noqa

custom_imports = dict(imports=['mmpoolformer'], allow_failed_imports=False)

model = dict(
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='mmpoolformer.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise'))
# 8 GPUs x 2 images; --auto-scale-lr adapts the rate to others.
auto_scale_lr = dict(enable=False, base_batch_size=16)
