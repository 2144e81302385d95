default_scope = 'mmpdl'
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
# To also log to TensorBoard (pip install tensorboard):
# vis_backends = [dict(type='LocalVisBackend'),
#                 dict(type='TensorboardVisBackend')]
visualizer = dict(
    type='PanopticLocalVisualizer',
    vis_backends=vis_backends,
    name='visualizer')
# The val/test summary line holds the headline metrics (PQ, SQ, RQ, PQ_th,
# PQ_st, AP, AP50, COCO bbox_AP and mask_AP, mIoU); per-class numbers are in
# the printed tables and in scalars.json.
log_processor = dict(type='PanopticLogProcessor', by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

tta_model = dict(type='PanopticTTAModel')
