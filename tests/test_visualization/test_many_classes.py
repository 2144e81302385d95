"""The visualizer, browse_dataset.py and PanopticInferencer take classes and
colours from the dataset: made-up COCO-like metadata of 133 classes (80
things) and Vistas-like metadata of 124 classes."""
import json
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmpdl.structures.panoptic_ids import id_to_rgb
from mmpdl.visualization import PanopticLocalVisualizer, instance_shade
from repo import QUICKSTART, ROOT, load_script

GRAY = 120


def made_up_categories(num, things):
    """``num`` categories with ids 2, 5, 8, ... (gaps), the first
    ``things`` of them things, each with its own colour."""
    return [
        dict(
            id=2 + 3 * i,
            name=f'class{i}',
            isthing=int(i < things),
            color=[(37 * i) % 256, (91 * i + 40) % 256, (53 * i + 7) % 256])
        for i in range(num)
    ]


def meta_of(categories):
    from mmpdl.datasets.panoptic_categories import metainfo_from_categories
    return metainfo_from_categories(categories)


@pytest.mark.parametrize('num,things', [(133, 80), (124, 70)])
def test_visualizer_colours_of_the_last_classes(num, things):
    meta = meta_of(made_up_categories(num, things))
    vis = PanopticLocalVisualizer(name=f'vis_{num}', alpha=1.0)
    vis.dataset_meta = meta
    last_thing, last_stuff = things - 1, num - 1
    panoptic = np.full((20, 30), last_stuff * 1000, np.int64)
    panoptic[:, 10:20] = last_thing * 1000 + 1
    panoptic[:, 20:] = 255 * 1000  # void
    image = np.full((20, 30, 3), GRAY, np.uint8)
    drawn = vis.draw_panoptic(image, panoptic)
    np.testing.assert_array_equal(drawn[15, 3], meta['palette'][last_stuff])
    shade = instance_shade(meta['palette'][last_thing], 0).astype(np.uint8)
    np.testing.assert_array_equal(drawn[15, 15], shade)
    np.testing.assert_array_equal(drawn[15, 25], image[15, 25])


def write_coco_like(root, num=133, things=80):
    """One 48x64 PNG image: the last stuff class and two instances of the
    last thing class."""
    cats = made_up_categories(num, things)
    stuff_cat, thing_cat = cats[-1]['id'], cats[things - 1]['id']
    ids = np.full((48, 64), 1, np.int64)
    ids[10:30, 5:25] = 2
    ids[10:30, 35:55] = 3
    for folder in ('images', 'panoptic'):
        (root / folder).mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((48, 64, 3), GRAY,
                            np.uint8)).save(root / 'images' / 'a.png')
    Image.fromarray(id_to_rgb(ids)).save(root / 'panoptic' / 'a.png')
    (root / 'panoptic.json').write_text(
        json.dumps(
            dict(
                images=[dict(id=1, file_name='a.png', height=48, width=64)],
                annotations=[
                    dict(
                        image_id=1,
                        file_name='a.png',
                        segments_info=[
                            dict(id=1, category_id=stuff_cat, iscrowd=0),
                            dict(id=2, category_id=thing_cat, iscrowd=0),
                            dict(id=3, category_id=thing_cat, iscrowd=0)
                        ])
                ],
                categories=cats)))
    return cats


def coco_overrides(root):
    dataset = dict(
        data_root=str(root),
        ann_file='panoptic.json',
        data_prefix=dict(img_path='images', seg_map_path='panoptic'))
    return [
        f'val_dataloader.dataset.{k}={v}'
        for k, v in dataset.items() if k != 'data_prefix'
    ] + [
        f'val_dataloader.dataset.data_prefix.{k}={v}'
        for k, v in dataset['data_prefix'].items()
    ]


def test_browse_tool_on_a_133_class_dataset(tmp_path):
    cats = write_coco_like(tmp_path / 'data')
    tool = load_script('tools/analysis_tools/browse_dataset.py',
                       'browse_dataset_many_classes')
    config = osp.join(
        ROOT, 'configs', 'panoptic_deeplab',
        'panoptic-deeplab_r50-os32_16xb4-200k_coco-panoptic-640x640.py')
    written = tool.main([
        config, '--split', 'val', '--output-dir',
        str(tmp_path / 'vis'), '--cfg-options',
        *coco_overrides(tmp_path / 'data')
    ])
    picture = mmcv.imread(written[0], channel_order='rgb')
    # the val pipeline resizes 48x64 to a long side of 640: 480x640 panels
    # (image | ground truth) under a title strip
    assert picture.shape[1] == 2 * 640
    gt = picture[-480:, 640:].astype(int)
    stuff = np.array(cats[-1]['color'])
    expected = (GRAY * 0.4 + stuff * 0.6).astype(int)
    assert np.abs(gt[-20, 600] - expected).max() <= 1


def test_inferencer_with_133_classes(tmp_path):
    from mmpdl.apis import PanopticInferencer
    cats = write_coco_like(tmp_path / 'data')
    cfg = Config.fromfile(QUICKSTART)
    cfg.model.decode_head.num_classes = 133
    cfg.test_dataloader = dict(
        dataset=dict(
            type='CocoPanopticDataset',
            data_root=str(tmp_path / 'data'),
            ann_file='panoptic.json',
            data_prefix=dict(img_path='images', seg_map_path='panoptic')))
    with pytest.warns(UserWarning, match='random weights'):
        inferencer = PanopticInferencer(cfg, device='cpu')
    classes = [c['name'] for c in cats]
    assert list(inferencer.model.dataset_meta['classes']) == classes
    assert inferencer.visualizer.dataset_meta['palette'][132] == cats[132][
        'color']
    image = np.full((64, 96, 3), GRAY, np.uint8)
    result = inferencer(image, return_vis=True)
    prediction = result['predictions']
    assert prediction['sem_seg'].max() < 133
    assert all(i['class_name'] in classes for i in prediction['instances'])
    assert result['visualization'].shape[:2] == (64, 2 * 96)


def test_init_model_without_a_class_list_names_the_fix():
    from mmpdl.apis import init_model
    cfg = Config.fromfile(QUICKSTART)
    cfg.test_dataloader = dict(
        dataset=dict(
            type='CocoPanopticDataset',
            data_root='/nonexistent',
            ann_file='panoptic.json'))
    with pytest.raises(
            ValueError,
            match='reads it from its annotation file'
            r'.*metainfo=dict\(classes=...'):
        init_model(cfg)
