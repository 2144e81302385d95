"""tools/analysis_tools/browse_dataset.py on a tiny built-in dataset."""
import json
import os.path as osp

import mmcv
import numpy as np
import pytest

from repo import QUICKSTART, load_script

# the train crop of the config: every resized 64x128 image fits inside it
CROP_H, CROP_W = 257, 513


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/analysis_tools/browse_dataset.py',
                       'browse_dataset')


@pytest.fixture(scope='module')
def data_root(synthetic_cityscapes):
    return synthetic_cityscapes(2, 1, size=(64, 128), seed=5)


def _panels(path, height, width):
    """The panels of a picture, without the title strip above them."""
    picture = mmcv.imread(path, channel_order='rgb')
    assert picture.shape[1] % width == 0
    strip = picture.shape[0] - height
    assert 8 < strip < 30  # the titles
    assert not picture[0].any()  # black strip
    return [
        picture[strip:, i:i + width] for i in range(0, picture.shape[1], width)
    ]


def test_train_pictures_show_crop_gt_and_targets(tool, data_root, tmp_path):
    out = str(tmp_path / 'vis')
    written = tool.main([
        QUICKSTART, '--output-dir', out, '--seed', '0', '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}'
    ])
    assert [osp.basename(p) for p in written] == [
        'aachen_000000_000019_leftImg8bit.png',
        'bochum_000001_000019_leftImg8bit.png'
    ]
    for path in written:
        assert osp.isfile(path)
        panels = _panels(path, CROP_H, CROP_W)
        # image | ground truth | center | offset | semantic weights
        assert len(panels) == 5
        assert panels[0].shape == (CROP_H, CROP_W, 3)
        image, gt, center, offset, sem_w = (p.astype(int) for p in panels)
        # the GT overlay recolours the image (most of the crop is padding,
        # in the colour of the bottom-right pixel: the resized 64x128 image
        # is smaller)
        content = (image != image[-1, -1]).any(-1)
        changed = np.abs(gt - image).sum(-1) > 30
        assert content.sum() > 100 and changed[content].mean() > 0.5
        # the targets are not blank: heatmap peaks and coloured offsets
        assert (center != center[-1, -1]).any(axis=-1).sum() > 50
        assert (offset != offset[-1, -1]).any(axis=-1).sum() > 50
        assert len(np.unique(sem_w.reshape(-1, 3), axis=0)) > 1


def test_val_split_has_no_targets(tool, data_root, tmp_path):
    written = tool.main([
        QUICKSTART, '--split', 'val', '--num', '0', '--output-dir',
        str(tmp_path), '--cfg-options',
        f'val_dataloader.dataset.data_root={data_root}'
    ])
    assert len(written) == 1
    # the val pipeline neither resizes nor makes targets: image | GT
    panels = _panels(written[0], 64, 128)
    assert len(panels) == 2 and panels[0].shape == (64, 128, 3)


def test_missing_config_is_named(tool):
    with pytest.raises(FileNotFoundError, match='configs/nope.py'):
        tool.main(['configs/nope.py'])


def test_missing_data_root_says_what_to_do(tool, tmp_path):
    missing = str(tmp_path / 'absent')
    with pytest.raises(SystemExit) as err:
        tool.main([
            QUICKSTART, '--output-dir',
            str(tmp_path), '--cfg-options',
            f'train_dataloader.dataset.data_root={missing}'
        ])
    message = str(err.value)
    assert missing in message
    assert 'docs/dataset_prepare.md' in message
    assert 'train_dataloader.dataset.data_root' in message


def test_empty_dataset_is_an_error(tool, tmp_path):
    ann = tmp_path / 'gtFine' / 'cityscapes_panoptic_train.json'
    ann.parent.mkdir(parents=True)
    ann.write_text(json.dumps(dict(images=[], annotations=[], categories=[])))
    # the dataset refuses a JSON without annotations, naming the file
    with pytest.raises(
            SystemExit,
            match='cityscapes_panoptic_train.json.*"annotations" is empty'):
        tool.main([
            QUICKSTART, '--output-dir',
            str(tmp_path / 'vis'), '--cfg-options',
            f'train_dataloader.dataset.data_root={tmp_path}'
        ])
