"""The COCO and Mapillary Vistas configs: each builds its network (the
parameter count of the original implementation built with the same class
count), its datasets on a fake data root, its pipelines and evaluators,
with each recipe's hyper-parameters."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmpdl.registry import DATASETS, METRICS
from mmpdl.structures.panoptic_ids import id_to_rgb
from .model_zoo_utils import CONFIG_DIR, build_model, model_cfg

# config -> (classes, parameters of the original implementation's model
# of the same backbone built with DATASET.NUM_CLASSES = classes)
DATASET_CONFIGS = {
    'panoptic-deeplab_r50-os32_16xb4-200k_coco-panoptic-640x640.py':
    (133, 55_338_168),
    'panoptic-deeplab_r101-os32_16xb4-200k_coco-panoptic-640x640.py':
    (133, 74_330_296),
    'panoptic-deeplab_x101-32x8d-os32_16xb4-200k_coco-panoptic-640x640.py':
    (133, 118_572_472),
    'panoptic-deeplab_xception65-os32_16xb4-200k_coco-panoptic-640x640.py':
    (133, 69_661_352),
    'panoptic-deeplab_mobilenetv2-os32_16xb4-200k_coco-panoptic-640x640.py':
    (133, 7_749_112),
    'panoptic-deeplab_hrnetw48-os4_16xb4-200k_coco-panoptic-640x640.py':
    (133, 72_238_520),
}
# Mapillary Vistas v1.2 (65 classes) and v2.0 (124): parameters of each
VISTAS_PARAMETERS = {
    'r50-os32': (55_320_692, 55_335_855),
    'r101-os32': (74_312_820, 74_327_983),
    'x101-32x8d-os32': (118_554_996, 118_570_159),
    'xception65-os32': (69_643_876, 69_659_039),
    'mobilenetv2-os32': (7_731_636, 7_746_799),
    'hrnetw48-os4': (72_221_044, 72_236_207),
}
for _backbone, _counts in VISTAS_PARAMETERS.items():
    for _version, _classes, _params in zip(('v1.2', 'v2.0'), (65, 124),
                                           _counts):
        DATASET_CONFIGS[f'panoptic-deeplab_{_backbone}_16xb4-200k_'
                        f'mapillary-vistas-{_version}-1025x1025.py'] = (
                            _classes, _params)


def test_every_dataset_leaf_is_listed():
    import glob
    leaves = {
        osp.basename(p)
        for p in glob.glob(osp.join(CONFIG_DIR, 'panoptic-deeplab_*.py'))
        if ('coco-panoptic' in p or 'mapillary-vistas' in p)
        and 'synthetic' not in p
    }
    assert leaves == set(DATASET_CONFIGS)


@pytest.mark.parametrize('config_name', sorted(DATASET_CONFIGS))
def test_parameter_count(config_name):
    classes, params = DATASET_CONFIGS[config_name]
    with torch.device('meta'):
        model = build_model(model_cfg(config_name))
    assert model.decode_head.num_classes == classes
    assert sum(p.numel() for p in model.parameters()) == params


@pytest.mark.parametrize('config_name', sorted(DATASET_CONFIGS))
def test_schedule_and_post_processing(config_name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    assert cfg.train_dataloader.batch_size == 4  # x 16 GPUs = 64
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'Adam' and optimizer.lr == 5e-4
    assert optimizer.weight_decay == 0
    warmup, poly = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 2000)
    # mmengine's PolyLR runs over end - 1 steps: (1 - t / 200000) ** 0.9
    assert (poly.type, poly.power, poly.end) == ('PolyLR', 0.9, 200001)
    assert cfg.train_cfg.max_iters == 200000
    assert cfg.default_hooks.checkpoint.save_best == 'PQ'  # panoptic/PQ
    post = cfg.model.post_processor
    assert (post.center_threshold, post.top_k) == (0.1, 200)
    coco = 'coco' in config_name
    assert (post.nms_kernel, post.stuff_area) == ((41, 4096) if coco else
                                                  (7, 2048))
    crop = [t for t in cfg.train_pipeline if t.type == 'PanopticRandomCrop']
    assert crop[0].crop_size == ((640, 640) if coco else (1025, 1025))


def write_fake_split(root, ann_file, img_dir, seg_dir, size=(48, 64)):
    """One image: a stuff category (id 17) and two instances of a thing
    (id 3, category ids not contiguous)."""
    ids = np.full(size, 17, np.int64)
    ids[10:30, 5:25] = 3001
    ids[10:30, 30:50] = 3002
    for folder in (img_dir, seg_dir):
        (root / folder).mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size + (3, ), 120,
                            np.uint8)).save(root / img_dir / 'a.jpg')
    Image.fromarray(id_to_rgb(ids)).save(root / seg_dir / 'a.png')
    (root / ann_file).parent.mkdir(parents=True, exist_ok=True)
    (root / ann_file).write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='a.jpg', height=48, width=64)],
                annotations=[
                    dict(
                        image_id=1,
                        file_name='a.png',
                        segments_info=[
                            dict(id=17, category_id=17, iscrowd=0),
                            dict(id=3001, category_id=3, iscrowd=0),
                            dict(id=3002, category_id=3, iscrowd=0)
                        ])
                ],
                categories=[
                    dict(id=3, name='car', isthing=1),
                    dict(id=17, name='sky', isthing=0)
                ])))


@pytest.mark.parametrize('config_name', sorted(DATASET_CONFIGS))
def test_datasets_pipelines_and_evaluators_build(config_name, tmp_path):
    from mmpdl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config_name))
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        dataset.data_root = str(tmp_path / loader)
        write_fake_split(tmp_path / loader, dataset.ann_file,
                         dataset.data_prefix.img_path,
                         dataset.data_prefix.seg_map_path)
        built = DATASETS.build(dataset)
        assert built.metainfo['classes'] == ('car', 'sky')
        sample = built[0]
        assert sample['inputs'].dtype == torch.uint8
        if loader == 'val_dataloader':
            # resized for the network, ground truth at the original size
            assert sample['data_samples'].ori_shape == (48, 64)
            assert sample['data_samples'].gt_sem_seg.data.shape[1:] == (48, 64)
    assert [m.type for m in cfg.val_evaluator
            ] == ['PanopticQualityMetric', 'CocoInstanceMetric', 'IoUMetric']
    for metric in cfg.val_evaluator:
        METRICS.build(metric)


def test_coco_tta_pipeline_runs_through_the_tta_model(tmp_path):
    """The COCO --tta pipeline with PanopticTTAModel (the small model of
    the built-in data in place of R-50): one prediction at the original
    size."""
    from mmengine.dataset import pseudo_collate
    from mmengine.model import revert_sync_batchnorm

    from mmpdl.registry import MODELS
    from mmpdl.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(
        osp.join(
            CONFIG_DIR,
            'panoptic-deeplab_r50-os32_16xb4-200k_coco-panoptic-640x640.py'))
    dataset = cfg.val_dataloader.dataset
    dataset.data_root = str(tmp_path)
    write_fake_split(tmp_path, dataset.ann_file, dataset.data_prefix.img_path,
                     dataset.data_prefix.seg_map_path)
    data = DATASETS.build(dict(dataset, pipeline=cfg.tta_pipeline))
    small = Config.fromfile(
        osp.join(CONFIG_DIR, '..', '_base_', 'models',
                 'panoptic_deeplab_r18_small.py')).model
    small.decode_head.num_classes = 2
    torch.manual_seed(0)
    tta = MODELS.build(
        dict(
            type='PanopticTTAModel',
            module=revert_sync_batchnorm(MODELS.build(small)).eval()))
    tta.module.dataset_meta = data.metainfo
    batch = pseudo_collate([data[0]])
    with torch.no_grad():
        (prediction, ) = tta.test_step(batch)
    assert prediction.pred_panoptic_seg.data.shape[1:] == (48, 64)
    assert prediction.pred_sem_seg.data.max() < 2
