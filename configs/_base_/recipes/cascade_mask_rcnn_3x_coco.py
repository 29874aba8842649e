# Cascade Mask R-CNN (4conv1fc GIoU box heads) on COCO, 3x schedule
# (36 epochs, 8 GPUs x 2 images): mmdet's ConvNeXt recipe (multi-scale
# 480-800 training with DETR's random crop, AdamW lr 2e-4, weight decay
# 0.05, steps at epochs 27 and 33), for the MetaFormer Baselines of stage
# widths 64, 128, 320, 512, with our stage-wise learning-rate decay at
# ConvNeXt's rate there (0.7; ConvNeXt's "layer_wise" with num_layers=6 is a
# layer a stage too, its third stage split in three). The upstream recipe
# trains with AMP (fp16): add --amp to tools/train.py on GPUs. A config of
# ours inherits this file and a backbone of _base_/models/, and sets the
# backbone with the drop path of the authors' ImageNet training of that
# model.
_base_ = 'mmdet::convnext/cascade-mask-rcnn_convnext-t-p4-w7_fpn_4conv1fc-giou_amp-ms-crop-3x_coco.py'  # noqa

custom_imports = dict(imports=['mmpoolformer'], allow_failed_imports=False)

model = dict(neck=dict(in_channels=[64, 128, 320, 512]))

# The upstream AdamW as it is; our constructor in place of mmdet's
# ConvNeXt-only one (its num_layers has no meaning here), fp32.
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='mmpoolformer.LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(
        _delete_=True, decay_rate=0.7, decay_type='stage_wise'))
