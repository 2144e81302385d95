"""Files a user receives (ONNX models, checkpoints, category files,
datasets) run no code and write or delete nothing outside their place.

One test per way a crafted file did harm before (a marker file that the
payload would create, or a victim file that it would change or delete, must
stay as it was), plus a scan of the sources for parsers that run code.
"""
import json
import os
import os.path as osp
import pickle
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image
from test_tools.test_mapillary_vistas_tool import make_tree

from mmpdl.utils.safe_paths import UnsafePathError
from .toy_training import toy_config
from repo import QUICKSTART, ROOT, load_script


def payload(marker) -> str:
    """A line of Python that creates ``marker`` when it runs."""
    return f"_x = open({str(marker)!r}, 'w').close()\n"


def onnx_file(path, props: dict) -> str:
    """A one-node ONNX graph (identity of an (H, W, 3) uint8 image) with
    ``props`` as its metadata."""
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node('Identity', ['image'], ['sem_logits'])], 'g',
        [helper.make_tensor_value_info('image', TensorProto.UINT8, [4, 4, 3])],
        [
            helper.make_tensor_value_info('sem_logits', TensorProto.UINT8,
                                          [4, 4, 3])
        ])
    model = helper.make_model(graph)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    return str(path)


def test_onnx_metadata_never_runs_code(tmp_path):
    """Finding 1: the config in an ONNX file was Python text, executed by
    every reader. An old-format file is refused by each entry point."""
    from mmpdl.apis import PanopticInferencer
    from mmpdl.deployment import read_metadata
    from mmpdl.deployment.backends import OnnxRuntimeBackend
    marker = tmp_path / 'marker'
    text = payload(marker) + Config.fromfile(QUICKSTART).pretty_text
    legacy = onnx_file(
        tmp_path / 'legacy.onnx',
        dict(
            mmpdl_config=text,
            dataset_meta='{}',
            post_processing='{}',
            with_postprocess='false',
            input_shape='[4, 4]'))
    image = tmp_path / 'image.png'
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(image)
    demo = load_script('tools/image_demo.py', 'mmpdl_image_demo_security')
    calls = [
        lambda: read_metadata(legacy),
        lambda: OnnxRuntimeBackend(legacy),
        lambda: PanopticInferencer(legacy, backend='onnxruntime'),
        lambda: demo.main([
            str(image), 'unused', legacy, '--backend', 'onnxruntime',
            '--out-file',
            str(tmp_path / 'out.png')
        ]),
    ]
    for call in calls:
        with pytest.raises(ValueError, match='export it again'):
            call()
    assert not marker.exists()
    # a file of this version: the config is JSON, Python text beside it is
    # never read
    config = Config(dict(test_pipeline=[dict(type='Resize', scale=(8, 4))]))
    from mmpdl.utils.config import config_to_json
    current = onnx_file(
        tmp_path / 'current.onnx',
        dict(
            mmpdl_config=text,
            mmpdl_config_json=config_to_json(config),
            dataset_meta=json.dumps(
                dict(classes=['a'], thing_ids=[], label_ids=[1])),
            post_processing='{}',
            with_postprocess='false',
            input_shape='"dynamic"'))
    meta = read_metadata(current)
    assert meta['config'].test_pipeline[0]['scale'] == (8, 4)  # a tuple
    assert meta['input_shape'] is None
    assert not marker.exists()


def _trained_checkpoint(tmp_path):
    """Two iterations of a toy model through tools/train.py; returns the
    tool, its config file and the newest checkpoint."""
    train = load_script('tools/train.py', 'mmpdl_train_tool_security')
    config = toy_config(tmp_path / 'toy.py')
    work_dir = tmp_path / 'work'
    train.main([config, '--work-dir', str(work_dir)])
    return train, config, work_dir, str(work_dir / 'iter_2.pth')


def _edit_checkpoint(src, dst, edit):
    checkpoint = torch.load(src, weights_only=True)
    edit(checkpoint)
    torch.save(checkpoint, dst)
    return str(dst)


def test_resume_never_runs_config_text_of_a_checkpoint(tmp_path):
    """Finding 2: mmengine's resume ran ``meta['config']`` as Python. It is
    dropped with a warning naming the file; training resumes."""
    train, config, work_dir, genuine = _trained_checkpoint(tmp_path)
    marker = tmp_path / 'marker'
    crafted = _edit_checkpoint(
        genuine, tmp_path / 'crafted.pth',
        lambda c: c['meta'].update(config=payload(marker)))
    with pytest.warns(
            UserWarning, match=r"crafted.pth: dropped "
            r"meta\['config'\]"):
        train.main([
            config, '--work-dir',
            str(work_dir), '--resume', crafted, '--cfg-options',
            'train_cfg.max_iters=3'
        ])
    assert not marker.exists()
    assert (work_dir / 'iter_3.pth').is_file()


def test_resume_never_deletes_outside_the_work_dir(tmp_path):
    """Finding 4: a resumed ``best_ckpt`` was deleted at the first better
    validation, wherever it pointed (rmtree for a folder)."""
    train, config, work_dir, genuine = _trained_checkpoint(tmp_path)
    victim = tmp_path / 'victim'
    victim.mkdir()
    (victim / 'data.txt').write_text('keep me')

    def point_outside(checkpoint):
        info = checkpoint['message_hub']['runtime_info']
        info.update(best_ckpt=str(victim), best_score=-1.0)

    crafted = _edit_checkpoint(genuine, tmp_path / 'crafted.pth',
                               point_outside)
    with pytest.raises(UnsafePathError, match=re.escape(str(victim))):
        train.main([
            config, '--work-dir',
            str(work_dir), '--resume', crafted, '--cfg-options',
            'train_cfg.max_iters=3', 'default_hooks.checkpoint.save_best=loss'
        ])
    assert (victim / 'data.txt').read_text() == 'keep me'
    # the last line of defence: the hook deletes nothing outside out_dir
    from mmpdl.engine.hooks.checkpoint_hook import PanopticCheckpointHook
    hook = PanopticCheckpointHook(interval=1)
    hook.out_dir, hook.file_backend = str(work_dir), _local_backend()
    with pytest.raises(UnsafePathError):
        hook._remove(str(victim))
    assert victim.is_dir()


def _local_backend():
    from mmengine.fileio import LocalBackend
    return LocalBackend()


class _RunsCode:
    """Pickles to a call of ``open(marker, 'w')``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_category_files_are_json_only(tmp_path, capsys):
    """Finding 3: ``--categories`` of the detectron2 converter was parsed
    by extension (YAML that builds objects, pickle)."""
    tool = load_script('tools/model_converters/detectron2_to_mmpdl.py',
                       'mmpdl_detectron2_to_mmpdl_security')
    marker = tmp_path / 'marker'
    yaml_file = tmp_path / 'categories.yaml'
    yaml_file.write_text(
        f'!!python/object/apply:builtins.open [{str(marker)!r}, "w"]\n')
    pkl_file = tmp_path / 'categories.pkl'
    pkl_file.write_bytes(pickle.dumps(_RunsCode(marker)))
    config = osp.join(
        ROOT, 'configs', 'panoptic_deeplab',
        'panoptic-deeplab_r50-os32_16xb4-200k_coco-panoptic-640x640.py')
    for crafted in (yaml_file, pkl_file):
        code = tool.main([
            str(tmp_path / 'model.pkl'),
            str(tmp_path / 'out.pth'), '--config', config, '--categories',
            str(crafted)
        ])
        assert code == 1
        assert f'{str(crafted)!r} is not valid JSON' in capsys.readouterr().err
    assert not marker.exists()
    assert not (tmp_path / 'out.pth').exists()


def _file_digests(root, skip):
    return {
        p: p.read_bytes()
        for p in sorted(root.rglob('*'))
        if p.is_file() and skip not in p.parents
    }


@pytest.mark.parametrize('where', ['absolute image', 'parent png'])
def test_vistas_resize_writes_only_into_out_dir(tmp_path, where):
    """Finding 5: ``file_name`` values of the Vistas JSON made the resized
    copy write (or overwrite) files outside ``--out-dir``."""
    tool = load_script('tools/dataset_converters/mapillary_vistas.py',
                       'mmpdl_vistas_security')
    root, out = tmp_path / 'vistas', tmp_path / 'out'
    make_tree(root)
    victim = tmp_path / 'victim.jpg'
    Image.fromarray(np.full((30, 40, 3), 9, np.uint8)).save(victim)
    ann_file = root / 'training' / 'v2.0' / 'panoptic' / 'panoptic_2020.json'
    ann = json.loads(ann_file.read_text())
    if where == 'absolute image':
        ann['images'][0]['file_name'] = str(victim)
    else:
        ann['annotations'][0]['file_name'] = '../../../../escaped.png'
        (root / 'training' / 'v2.0' / 'panoptic' / 'big.png').rename(
            tmp_path / 'escaped.png')
    ann_file.write_text(json.dumps(ann))
    before = _file_digests(tmp_path, out)
    with pytest.raises(UnsafePathError, match='panoptic_2020.json'):
        tool.main([str(root), '--resize-longest', '20', '--out-dir', str(out)])
    assert _file_digests(tmp_path, out) == before
    assert not (tmp_path.parent / 'escaped.png').exists()


def _polygon_tree(root):
    """A one-image Cityscapes tree per split with a polygon file."""
    stem = 'aachen_000000_000019'
    for split in ('train', 'val'):
        gt = root / 'gtFine' / split / 'aachen'
        gt.mkdir(parents=True)
        (root / 'leftImg8bit' / split / 'aachen').mkdir(parents=True)
        ids = np.full((8, 16), 7, np.uint16)  # road
        ids[2:6, 2:6] = 26001  # a car instance
        Image.fromarray(ids).save(gt / f'{stem}_gtFine_instanceIds.png')
        polygons = dict(
            imgHeight=8,
            imgWidth=16,
            objects=[
                dict(label='road', polygon=[[0, 0], [15, 0], [15, 7], [0, 7]])
            ])
        (gt / f'{stem}_gtFine_polygons.json').write_text(json.dumps(polygons))
    return root / 'gtFine' / 'train' / 'aachen' / stem


def test_cityscapes_prepare_writes_through_no_symlink(tmp_path):
    """Finding 6: a symlink shipped at the temporary (or final) name of a
    ``*_labelTrainIds.png`` made the converter overwrite its target."""
    tool = load_script('tools/dataset_converters/cityscapes.py',
                       'mmpdl_cityscapes_security')
    stem = _polygon_tree(tmp_path / 'cityscapes')
    victims = [tmp_path / 'victim_tmp.txt', tmp_path / 'victim_final.txt']
    for victim in victims:
        victim.write_text('keep me')
    os.symlink(victims[0], f'{stem}_gtFine_labelTrainIds.tmp.png')
    os.symlink(victims[1], f'{stem}_gtFine_labelTrainIds.png')
    tool.main([str(tmp_path / 'cityscapes')])
    assert [v.read_text() for v in victims] == ['keep me', 'keep me']
    written = f'{stem}_gtFine_labelTrainIds.png'
    assert not osp.islink(written)
    assert (np.asarray(Image.open(written)) == 0).all()  # road: train id 0


def test_out_keeps_images_of_the_same_name_apart(tmp_path):
    """Finding 7: ``--out`` named each PNG after the image's base name, so
    ``cam1/0001`` and ``cam2/0001`` gave one file for two images."""
    from .nested_coco import nested_coco_dataset, random_checkpoint
    root = nested_coco_dataset(tmp_path / 'data')
    checkpoint = random_checkpoint(tmp_path / 'random.pth', root)
    test = load_script('tools/test.py', 'mmpdl_test_tool_security')
    out = tmp_path / 'out'
    config = osp.join(
        ROOT, 'configs', 'panoptic_deeplab',
        'panoptic-deeplab_r18-os32_1xb2-800iter_synthetic-coco-panoptic-'
        '257x385.py')
    test.main([
        config, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out), '--cfg-options', f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0'
    ])
    results = json.loads((out / 'panoptic_val_results.json').read_text())
    names = sorted(a['file_name'] for a in results['annotations'])
    assert names == ['cam1/0001.png', 'cam2/0001.png']
    for name in names:
        assert (out / 'panoptic_val_results' / name).is_file()


#: calls that parse text as code or build arbitrary objects
UNSAFE_CALLS = re.compile(
    r'Config\.fromstring|yaml\.(unsafe_)?load\(|yaml\.load_all\(|'
    r'pickle\.loads?\(|[^_\w.]eval\(|[^_\w.]exec\(|'
    r'mmengine\.(fileio\.)?load\(|from mmengine(\.fileio)? import .*\bload\b')


def test_no_code_running_parser_in_the_sources():
    """No module of mmpdl/ or tools/ parses a file with a parser that can
    run code (``Config.fromstring``, non-safe ``yaml.load``, ``pickle``,
    ``eval``/``exec``, mmengine's extension-picked ``load``). The restricted
    unpickler (``_NumpyOnlyUnpickler``) is the one pickle reader."""
    found = []
    for top in ('mmpdl', 'tools'):
        for folder, _, files in os.walk(osp.join(ROOT, top)):
            for name in files:
                if not name.endswith('.py'):
                    continue
                path = osp.join(folder, name)
                with open(path) as f:
                    for number, line in enumerate(f, 1):
                        code = line.split('#')[0]
                        if UNSAFE_CALLS.search(code):
                            found.append(f'{path}:{number}: {line.strip()}')
    assert not found, '\n'.join(found)
