"""detectron2's Panoptic-DeepLab rows and the original's tools_d2 rows:
parameter counts of the models detectron2 builds, its ResNet geometry, its
YAML recipes, its WarmupPolyLR, and training steps of every config."""
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmpdl.registry import MODELS, PARAM_SCHEDULERS
from .detectron2_reference import REPO, import_panoptic_deeplab
from .model_zoo_utils import CONFIG_DIR, build_model, model_cfg

R52 = 'panoptic-deeplab_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py'
R52_DS = 'panoptic-deeplab-dsconv_r52-dc5-os16_8xb4-90k_cityscapes-512x1024.py'
R50 = 'panoptic-deeplab_r50-dc5-os16_8xb4-90k_cityscapes-512x1024.py'
COCO = ('panoptic-deeplab-dsconv_r52-dc5-os16_16xb4-200k_'
        'coco-panoptic-640x640.py')
X65 = 'panoptic-deeplab_xception65-os16_8xb4-90k_cityscapes-512x1024.py'
X65_DS = ('panoptic-deeplab-dsconv_xception65-os16_8xb4-90k_'
          'cityscapes-512x1024.py')
H48 = 'panoptic-deeplab_hrnetw48-os32_8xb4-90k_cityscapes-512x1024.py'
H48_DS = ('panoptic-deeplab-dsconv_hrnetw48-os32_8xb4-90k_'
          'cityscapes-512x1024.py')
X65_COCO = ('panoptic-deeplab-dsconv_xception65-os16_16xb4-200k_'
            'coco-panoptic-640x640.py')
H48_COCO = ('panoptic-deeplab-dsconv_hrnetw48-os32_16xb4-200k_'
            'coco-panoptic-640x640.py')

# Parameters of the model detectron2 builds from each YAML (BN for SyncBN),
# measured with detectron2's source: build_model(cfg) of
# projects/Panoptic-DeepLab (R50-DC5: the R52 YAML with STEM_TYPE basic,
# STEM_OUT_CHANNELS 64) and of the original's tools_d2 backbones.
DETECTRON2_PARAMS = {
    R52: 59_770_166,
    R52_DS: 30_271_350,
    R50: 59_646_390,
    COCO: 30_300_648,
    X65: 74_033_318,
    X65_DS: 44_534_502,
    H48: 78_657_974,
    H48_DS: 67_727_222,
    X65_COCO: 44_563_800,
    H48_COCO: 67_756_520,
}
D2_CITYSCAPES = 'Cityscapes-PanopticSegmentation/'
D2_BASE = 'panoptic_deeplab_R_52_os16_mg124_poly_90k_bs32_crop_512_1024'
# config -> (YAML under projects/Panoptic-DeepLab/configs, extra options)
DETECTRON2_YAMLS = {
    R52: (f'{D2_CITYSCAPES}{D2_BASE}.yaml', []),
    R52_DS: (f'{D2_CITYSCAPES}{D2_BASE}_dsconv.yaml', []),
    R50: (f'{D2_CITYSCAPES}{D2_BASE}.yaml', [
        'MODEL.RESNETS.STEM_TYPE', 'basic', 'MODEL.RESNETS.STEM_OUT_CHANNELS',
        64
    ]),
    COCO: ('COCO-PanopticSegmentation/panoptic_deeplab_R_52_os16_mg124_'
           'poly_200k_bs64_crop_640_640_coco_dsconv.yaml', []),
}


def detectron2_cfg(config_name):
    """detectron2's config of a row (BN for SyncBN, CPU), or skip."""
    import_panoptic_deeplab()
    from mmpdl.testing.detectron2 import detectron2_config
    yaml, options = DETECTRON2_YAMLS[config_name]
    return detectron2_config(REPO, yaml, options)


def test_every_detectron2_leaf_is_listed():
    import glob
    leaves = {
        osp.basename(p)
        for p in glob.glob(osp.join(CONFIG_DIR, '*.py'))
        if '512x1024' in p or 'panoptic-deeplab-dsconv_' in p
    }
    assert leaves == set(DETECTRON2_PARAMS)


@pytest.mark.parametrize('config_name', sorted(DETECTRON2_PARAMS))
def test_parameter_count_equals_detectron2s(config_name):
    with torch.device('meta'):
        model = build_model(model_cfg(config_name))
    count = sum(p.numel() for p in model.parameters())
    assert count == DETECTRON2_PARAMS[config_name]


@pytest.mark.parametrize('config_name', sorted(DETECTRON2_YAMLS))
def test_parameter_count_rebuilt_from_detectron2(config_name):
    cfg = detectron2_cfg(config_name)
    cfg.MODEL.DEVICE = 'meta'
    from detectron2.modeling import build_model as build_detectron2
    with torch.device('meta'):
        model = build_detectron2(cfg)
    count = sum(p.numel() for p in model.parameters())
    assert count == DETECTRON2_PARAMS[config_name]


def resnet_geometry(stem, stages):
    """[(kernel, stride, dilation, in, out)] of the stem convs, then per
    bottleneck block (conv1 stride, conv2 stride, conv2 dilation)."""
    convs = [(c.kernel_size[0], c.stride[0], c.dilation[0], c.in_channels,
              c.out_channels) for c in stem]
    blocks = [[(b.conv1.stride[0], b.conv2.stride[0], b.conv2.dilation[0])
               for b in stage] for stage in stages]
    return convs, blocks


# detectron2's R52-DC5 (DeepLabStem, STRIDE_IN_1X1 False, RES5_DILATION 2 x
# MULTI_GRID 1, 2, 4), worked out from projects/DeepLab/deeplab/resnet.py
R52_STEM = [(3, 2, 1, 3, 64), (3, 1, 1, 64, 64), (3, 1, 1, 64, 128)]
R52_BLOCKS = [[(1, 1, 1)] * 3, [(1, 2, 1)] + [(1, 1, 1)] * 3,
              [(1, 2, 1)] + [(1, 1, 1)] * 5, [(1, 1, 2), (1, 1, 4), (1, 1, 8)]]


def mmseg_resnet(config_name):
    from mmpdl.utils import register_all_modules
    register_all_modules()
    backbone = MODELS.build(model_cfg(config_name).backbone)
    stem = [m for m in backbone.stem if isinstance(m, torch.nn.Conv2d)] \
        if hasattr(backbone, 'stem') else [backbone.conv1]
    return backbone, resnet_geometry(
        stem, [getattr(backbone, f'layer{i}') for i in range(1, 5)])


def test_r52_dc5_geometry_is_detectron2s():
    backbone, (stem, blocks) = mmseg_resnet(R52)
    assert stem == R52_STEM
    assert blocks == R52_BLOCKS
    backbone.eval()  # mmseg's ResNet.train() returns None
    feats = backbone(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape[1:]) for f in feats] == [(256, 16, 24), (512, 8, 12),
                                                   (1024, 4, 6), (2048, 4, 6)]


@pytest.mark.parametrize('config_name', [R52, R50])
def test_resnet_geometry_equals_detectron2s(config_name):
    cfg = detectron2_cfg(config_name)
    from detectron2.layers import ShapeSpec
    from detectron2.projects.deeplab.resnet import \
        build_resnet_deeplab_backbone
    theirs = build_resnet_deeplab_backbone(cfg, ShapeSpec(channels=3))
    d2_stem = [
        getattr(theirs.stem, name) for name in ('conv1', 'conv2', 'conv3')
        if hasattr(theirs.stem, name)
    ]
    expected = resnet_geometry(d2_stem, theirs.stages)
    assert mmseg_resnet(config_name)[1] == expected


def lr_of(iteration, base, warmup, max_iters):
    """detectron2's WarmupPolyLR (linear warmup from 0.001)."""
    alpha = min(iteration / warmup, 1.0)
    factor = 0.001 * (1 - alpha) + alpha if iteration < warmup else 1.0
    return base * factor * (1 - iteration / max_iters)**0.9


@pytest.mark.parametrize('config_name,base,max_iters', [(R52, 1e-3, 90000),
                                                        (COCO, 5e-4, 200000)])
def test_schedule_is_warmup_poly(config_name, base, max_iters):
    from mmengine.optim import OptimWrapper

    from mmpdl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    assert cfg.train_cfg.max_iters == max_iters
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.weight_decay == 0
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(
        torch.optim.Adam([param], lr=cfg.optim_wrapper.optimizer.lr))
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    for iteration in range(1203):
        lr = wrapper.get_lr()['lr'][0]
        assert lr == pytest.approx(
            lr_of(iteration, base, 1000, max_iters), rel=1e-6), iteration
        for scheduler in schedulers:
            scheduler.step()


def _pipeline_step(cfg, name):
    return next(t for t in cfg.train_pipeline if t.type == name)


@pytest.mark.parametrize('config_name', sorted(DETECTRON2_YAMLS))
def test_recipe_equals_detectron2_yaml(config_name):
    check_recipe(config_name, detectron2_cfg(config_name))


def check_recipe(config_name, d2):
    """The mmpdl config's recipe, model layout and test settings against
    detectron2's config ``d2`` of the same row."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    gpus = int(re.search(r'_(\d+)xb(\d+)-', config_name).group(1))
    solver = d2.SOLVER
    assert cfg.train_dataloader.batch_size * gpus == solver.IMS_PER_BATCH
    assert cfg.optim_wrapper.optimizer.lr == solver.BASE_LR
    assert cfg.optim_wrapper.optimizer.weight_decay == solver.WEIGHT_DECAY
    warmup, poly = cfg.param_scheduler
    # mmengine's schedulers run over end - begin - 1 steps
    assert (warmup.start_factor, warmup.end) == (solver.WARMUP_FACTOR,
                                                 solver.WARMUP_ITERS + 1)
    assert (poly.power, poly.end) == (solver.POLY_LR_POWER,
                                      solver.MAX_ITER + 1)
    assert cfg.train_cfg.max_iters == solver.MAX_ITER
    resize = _pipeline_step(cfg, 'PanopticResizeShortestEdge')
    assert resize.short_edge_lengths == list(d2.INPUT.MIN_SIZE_TRAIN)
    assert resize.max_size == d2.INPUT.MAX_SIZE_TRAIN
    crop = tuple(d2.INPUT.CROP.SIZE)
    assert _pipeline_step(cfg, 'PanopticRandomCrop').crop_size == crop
    targets = _pipeline_step(cfg, 'GeneratePanopticTargets')
    assert targets.sigma == d2.INPUT.GAUSSIAN_SIGMA
    assert targets.small_instance_area == d2.INPUT.SMALL_INSTANCE_AREA
    assert targets.small_instance_weight == d2.INPUT.SMALL_INSTANCE_WEIGHT
    assert targets.ignore_stuff_in_offset == d2.INPUT.IGNORE_STUFF_IN_OFFSET
    assert targets.ignore_crowd_in_semantic == \
        d2.INPUT.IGNORE_CROWD_IN_SEMANTIC
    model = cfg.model
    assert model.data_preprocessor.mean == list(d2.MODEL.PIXEL_MEAN)
    assert model.data_preprocessor.std == list(d2.MODEL.PIXEL_STD)
    assert model.data_preprocessor.bgr_to_rgb == (d2.INPUT.FORMAT == 'RGB')
    divisibility = d2.MODEL.PANOPTIC_DEEPLAB.SIZE_DIVISIBILITY
    assert model.size_divisor == (divisibility if divisibility > 0 else 32)
    resnets = d2.MODEL.RESNETS
    if d2.MODEL.BACKBONE.NAME == 'build_resnet_deeplab_backbone':
        assert model.backbone.depth == resnets.DEPTH
        assert model.backbone.stem_channels == resnets.STEM_OUT_CHANNELS
        assert list(model.backbone.multi_grid) == [
            resnets.RES5_DILATION * g for g in resnets.RES5_MULTI_GRID
        ]
        assert model.backbone.style == ('caffe' if resnets.STRIDE_IN_1X1 else
                                        'pytorch')
    # detectron2_config makes detectron2's SyncBN a BN (CPU)
    assert (model.backbone.norm_cfg.type, resnets.NORM) == ('SyncBN', 'BN')
    assert model.backbone.norm_cfg.momentum == 0.1  # PyTorch's default
    head, sem, ins = model.decode_head, d2.MODEL.SEM_SEG_HEAD, \
        d2.MODEL.INS_EMBED_HEAD
    assert head.num_classes == sem.NUM_CLASSES
    assert head.init_style == 'detectron2'
    assert head.loss_semantic.top_k_percent_pixels == sem.LOSS_TOP_K
    assert head.loss_center.loss_weight == ins.CENTER_LOSS_WEIGHT
    assert head.loss_offset.loss_weight == ins.OFFSET_LOSS_WEIGHT
    assert head.dropout_ratio == sem.ASPP_DROPOUT == ins.ASPP_DROPOUT
    assert list(head.atrous_rates) == list(sem.ASPP_DILATIONS)
    stride = 32 if 'hrnet' in config_name else 16  # of detectron2's res5
    assert head.aspp_cfg.pool_kernel_size == (crop[0] // stride,
                                              crop[1] // stride)
    separable = d2.MODEL.PANOPTIC_DEEPLAB.USE_DEPTHWISE_SEPARABLE_CONV
    assert head.aspp_cfg.depthwise_separable == separable
    kind = 'dsconv5x5' if separable else 'conv3x3x2'
    assert head.fuse_conv == kind
    assert dict(head.head_conv) == dict(
        sem_seg=kind, center='conv3x3x2', offset=kind)
    for branch, d2_head in ((head.semantic_branch, sem), (head.instance_branch,
                                                          ins)):
        assert list(branch.low_level_projections) == \
            list(d2_head.PROJECT_CHANNELS)[::-1]
        assert branch.aspp_channels == d2_head.ASPP_CHANNELS
        assert branch.decoder_channels == d2_head.CONVS_DIM
        assert branch.head_channels == d2_head.HEAD_CHANNELS
    post, d2_post = model.post_processor, d2.MODEL.PANOPTIC_DEEPLAB
    assert post.stuff_area == d2_post.STUFF_AREA
    assert post.center_threshold == d2_post.CENTER_THRESHOLD
    assert post.nms_kernel == d2_post.NMS_KERNEL
    assert post.top_k == d2_post.TOP_K_INSTANCE


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    from mmpdl.datasets import make_synthetic_coco_panoptic
    from mmpdl.testing.tiny_training import make_tiny_builtin_data
    root = tmp_path_factory.mktemp('tiny_d2_data')
    make_tiny_builtin_data(str(root / 'cityscapes'))
    make_synthetic_coco_panoptic(str(root / 'coco'), 2, 1, size=(64, 96))
    return root


def tiny_training_cfg(config_name, data_root):
    """The config on 32-pixel crops, BN for SyncBN, no ImageNet init."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    coco = 'coco' in config_name
    crop = (32, 32) if coco else (32, 64)
    stride = 32 if 'hrnet' in config_name else 16
    cfg.model = model_cfg(config_name)
    cfg.model.size_divisor = 32
    cfg.model.decode_head.aspp_cfg.pool_kernel_size = (crop[0] // stride,
                                                       crop[1] // stride)
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = str(data_root / ('coco' if coco else 'cityscapes'))
    if coco:
        # the built-in COCO-format data has 9 classes, not COCO's 133
        cfg.model.decode_head.num_classes = None
        dataset.ann_file = 'annotations/panoptic_train.json'
        dataset.data_prefix = dict(
            img_path='train', seg_map_path='annotations/panoptic_train')
    for step in dataset.pipeline:
        if step.type == 'PanopticResizeShortestEdge':
            step.update(short_edge_lengths=[32, 48], max_size=128)
        elif step.type == 'PanopticRandomCrop':
            step.crop_size = crop
    return cfg


@pytest.mark.parametrize('config_name', sorted(DETECTRON2_PARAMS))
def test_trains_on_the_built_in_data(config_name, tiny_data):
    """Two iterations of the config's model, training pipeline, optimizer
    and schedule on two built-in images."""
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper

    from mmpdl.datasets import fill_dataset_meta
    from mmpdl.registry import DATASETS
    from mmpdl.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    cfg = tiny_training_cfg(config_name, tiny_data)
    fill_dataset_meta(cfg)  # as tools/train.py does
    model = MODELS.build(cfg.model).train()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([dataset[0], dataset[1]])
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper))
        for s in cfg.param_scheduler
    ]
    before = {
        k: v.detach().clone()
        for k, v in model.decode_head.named_parameters()
    }
    for _ in range(2):
        losses = model.train_step(batch, wrapper)
        for scheduler in schedulers:
            scheduler.step()
    assert {'loss_sem', 'loss_center', 'loss_offset'} <= set(losses)
    assert all(math.isfinite(float(v)) for v in losses.values())
    unchanged = [
        k for k, v in model.decode_head.named_parameters()
        if torch.equal(v, before[k])
    ]
    assert unchanged == []
    base = cfg.optim_wrapper.optimizer.lr
    assert wrapper.get_lr()['lr'][0] == pytest.approx(
        lr_of(2, base, 1000, cfg.train_cfg.max_iters))


@pytest.mark.parametrize('config_name', [R52_DS, COCO])
def test_any_input_size_works(config_name):
    """Inputs smaller than the training crop and of odd sizes: padded to
    the size divisor, pooled with the kernel cut to the feature, cropped
    back."""
    torch.manual_seed(0)
    cfg = model_cfg(config_name)
    cfg.size_divisor = 32
    model = build_model(cfg).eval()
    with torch.no_grad():
        out = model._forward(torch.randn(1, 3, 70, 100))
    classes = model.decode_head.num_classes
    assert tuple(out['sem_seg'].shape) == (1, classes, 70, 100)
    assert tuple(out['offset'].shape) == (1, 2, 70, 100)
    assert all(torch.isfinite(v).all() for v in out.values())
