"""tools/test.py: metrics, --out, --show-dir and --tta on a tiny built-in
dataset, a test split without annotations, and clear errors for a missing
config or checkpoint and a checkpoint of another model."""
import glob
import json
import os
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch
from cityscapesscripts.evaluation.evalPanopticSemanticLabeling import \
    evaluatePanoptic
from cityscapesscripts.helpers.labels import labels as cs_labels
from mmengine import Config
from mmengine.model import revert_sync_batchnorm
from PIL import Image

from mmpdl.registry import MODELS
from mmpdl.utils import register_all_modules
from repo import QUICKSTART, load_script


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/test.py', 'mmpdl_test_tool')


@pytest.fixture(scope='module')
def data_root(synthetic_cityscapes):
    return synthetic_cityscapes(1, 2, size=(64, 128), seed=5, num_test=3)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Random quickstart weights; a center-head bias of 0.5 makes heatmap
    peaks, so the predictions hold instances."""
    register_all_modules()
    torch.manual_seed(0)
    net = revert_sync_batchnorm(
        MODELS.build(Config.fromfile(QUICKSTART).model))
    net.decode_head.instance_head.center[1].bias.data.fill_(0.5)
    path = str(tmp_path_factory.mktemp('test_tool_ckpt') / 'random.pth')
    torch.save({'state_dict': net.state_dict(), 'meta': {}}, path)
    return path


def _args(data_root, checkpoint, work_dir, *extra):
    return [
        QUICKSTART, checkpoint, '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.num_workers=0'
    ]


def test_metrics_predictions_and_pictures(tool, data_root, checkpoint,
                                          tmp_path):
    out = tmp_path / 'preds.pkl'
    metrics = tool.main(
        _args(data_root, checkpoint, tmp_path / 'work', '--out', str(out),
              '--show-dir', str(tmp_path / 'vis')))
    for key in ('cityscapes_panoptic/PQ', 'cityscapes_panoptic/SQ',
                'cityscapes_panoptic/RQ', 'cityscapes_instance/AP',
                'cityscapes_instance/AP_sem_x_ctr', 'semantic/mIoU'):
        assert key in metrics, sorted(metrics)
    assert 0.0 <= metrics['cityscapes_panoptic/PQ'] <= 100.0
    predictions = mmengine.load(str(out))
    assert len(predictions) == 2
    for record in predictions:  # no logits, heatmaps, offsets or masks
        assert sorted(record) == ['img_path', 'instances', 'panoptic']
        assert record['panoptic'].shape == (64, 128)
        for inst in record['instances']:
            assert sorted(inst) == ['id', 'label', 'score', 'score_sem_x_ctr']
            # label_divisor 1000 encoding: id = train id * 1000 + k, k >= 1
            assert inst['id'] // 1000 == inst['label'] and inst['id'] % 1000
            assert (record['panoptic'] == inst['id']).any()
    assert sum(len(r['instances']) for r in predictions) > 0
    pictures = glob.glob(
        str(tmp_path / 'vis' / '**' / '*.png'), recursive=True)
    assert len(pictures) == 2, pictures


def _official_pq(data_root, out, tmp_path):
    """cityscapesscripts' panoptic evaluation of the files under ``out``."""
    gt = osp.join(data_root, 'gtFine')
    cwd = os.getcwd()
    os.chdir(tmp_path)  # it writes intermediate files into the cwd
    try:
        result = evaluatePanoptic(
            osp.join(gt, 'cityscapes_panoptic_val.json'),
            osp.join(gt, 'cityscapes_panoptic_val'),
            osp.join(out, 'panoptic.json'), osp.join(out, 'panoptic'),
            str(tmp_path / 'pq.json'))
    finally:
        os.chdir(cwd)
    return 100 * result['All']['pq']


def test_out_dir_files_give_the_official_pq(tool, data_root, checkpoint,
                                            tmp_path):
    out = str(tmp_path / 'pred')
    metrics = tool.main(
        _args(data_root, checkpoint, tmp_path / 'work', '--out', out))
    official = _official_pq(data_root, out, tmp_path)
    assert official == pytest.approx(
        metrics['cityscapes_panoptic/PQ'], abs=1e-9)
    assert len(glob.glob(osp.join(out, 'semantic', '*_labelIds.png'))) == 2
    for folder in ('instance_sem', 'instance_sem_x_ctr'):
        assert len(glob.glob(osp.join(out, folder, '*_pred.txt'))) == 2


def test_split_without_annotations_writes_the_submission(
        tool, data_root, checkpoint, tmp_path):
    out = tmp_path / 'submission'
    metrics = tool.main([
        QUICKSTART, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out), '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.num_workers=0', "test_dataloader.dataset.ann_file=''",
        'test_dataloader.dataset.data_prefix.img_path=leftImg8bit/test'
    ])
    assert metrics == {}
    images = sorted(
        osp.basename(p)[:-len('_leftImg8bit.png')] for p in glob.glob(
            osp.join(data_root, 'leftImg8bit', 'test', '*', '*.png')))
    assert len(images) == 3
    with open(out / 'panoptic.json') as f:
        submission = json.load(f)
    assert sorted(a['image_id'] for a in submission['annotations']) == images
    label_ids = {lab.id for lab in cs_labels if not lab.ignoreInEval}
    for image_id in images:
        png = np.asarray(
            Image.open(out / 'panoptic' / f'{image_id}_panoptic.png'))
        assert png.shape == (64, 128, 3)
        semantic = np.asarray(
            Image.open(out / 'semantic' / f'{image_id}_pred_labelIds.png'))
        assert set(np.unique(semantic)) <= label_ids
        for folder in ('instance_sem', 'instance_sem_x_ctr'):
            lines = (out / folder / f'{image_id}_pred.txt').read_text()
            for line in lines.splitlines():  # <mask png> <label id> <score>
                mask, label, score = line.split()
                assert (out / folder / mask).is_file()
                assert int(label) in label_ids and 0 <= float(score) <= 1


def test_tta(tool, data_root, checkpoint, tmp_path):
    metrics = tool.main(
        _args(data_root, checkpoint, tmp_path / 'work', '--tta'))
    assert 0.0 <= metrics['cityscapes_panoptic/PQ'] <= 100.0


def test_checkpoint_of_another_model_is_refused(tool, data_root, checkpoint,
                                                tmp_path):
    state = torch.load(checkpoint)['state_dict']
    del state['backbone.bn1.running_mean']
    other = str(tmp_path / 'other.pth')
    torch.save(
        dict(
            state_dict=state,
            meta=dict(experiment_name='my-config_20261129_101500')), other)
    with pytest.raises(
            ValueError,
            match=r'1 model weights are not in the checkpoint '
            r"\(first: backbone.bn1.running_mean\).*'my-config'"):
        tool.main(_args(data_root, other, tmp_path / 'work'))


def test_missing_config_and_checkpoint_are_named(tool, checkpoint, tmp_path,
                                                 capsys, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', str(torch.get_num_threads()))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        tool.main([str(tmp_path / 'nope.py'), checkpoint])
    # the CPU thread choice is made (and printed) before the config is read
    if not torch.cuda.is_available():
        assert 'torch thread(s) per process (OMP_NUM_THREADS)' in \
            capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        tool.main([QUICKSTART, str(tmp_path / 'absent.pth')])
