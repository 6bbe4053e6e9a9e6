# The digits demo as an iteration-based run (inherits config.py): 450 iterations, validation
# and a checkpoint (iter_N.pth) every 90 iterations.
#   mme train examples/digits/config_iter.py --work-dir work_dirs/digits_iter
_base_ = ["./config.py"]

train_dataloader = dict(sampler=dict(type="InfiniteSampler", shuffle=True))
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=450, val_interval=90)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=40),
    dict(type="CosineAnnealingLR", by_epoch=False, begin=0, end=450),
]
default_hooks = dict(
    checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=90, max_keep_ckpts=2, save_best="accuracy"))
work_dir = "./work_dirs/digits_iter"
