# The short iteration schedule and the runtime shared by the four demo
# configs, which inherit this file next to their paper config:
#   _base_ = ['../<paper config>.py', './_base_/schedule_demo.py']
# The paper configs already set train_cfg, param_scheduler, default_hooks and
# log_processor (the ImageNet one randomness too), and two bases of one config
# may not set the same key: this file only holds demo_* values, which each
# demo assigns to the real keys with its own iterations, e.g.
#   param_scheduler = [
#       dict(_base_.demo_warmup, end=warmup_iters),
#       dict(_base_.demo_cosine, begin=warmup_iters, end=max_iters)]
#   default_hooks = _base_.demo_default_hooks

# An iteration-based loop in place of the paper config's epoch-based one; a
# demo gives it max_iters=max_iters, val_interval=max_iters.
demo_train_cfg = dict(_delete_=True, type='IterBasedTrainLoop')
# A linear warm-up from a thousandth of the rate, then a cosine decay to 1e-5.
demo_warmup = dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0)
demo_cosine = dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False)
# Log every 10 iterations; keep only the checkpoint saved at the end.
demo_default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=-1, max_keep_ckpts=1))
demo_log_processor = dict(by_epoch=False)
demo_randomness = dict(seed=0)
