"""model-index.yml and the metafiles: every path they name exists, every
model-zoo config has an entry, and the numbers agree with the configs'
README and with the original models' parameter counts."""
import glob
import os.path as osp
import re

import yaml

from .markdown import ROOT

# parameter counts of the original implementation's models (19 classes)
ORIGINAL_PARAMS = {
    'r50-os32': 55_308_870,
    'r101-os32': 74_300_998,
    'x101-32x8d-os32': 118_543_174,
    'xception65-os32': 69_632_054,
    'mobilenetv2-os32': 7_719_814,
    'hrnetw48-os4': 72_209_222,
    # deeplab2's recipes: torchvision's MobileNetV3 features + the head
    # (tests/test_models/test_mobilenet_v3_configs.py)
    'mobilenetv3-large-os16': 18_235_510,
    'mobilenetv3-large-os32': 18_235_510,
    'mobilenetv3-small-os16': 10_483_174,
    'mobilenetv3-small-os32': 10_483_174,
}
# parameter counts of detectron2's models (19 classes; built from its
# source: tests/test_models/test_detectron2_zoo_configs.py), by algorithm
# and row
DETECTRON2_PARAMS = {
    ('panoptic-deeplab', 'r52-dc5-os16'): 59_770_166,
    ('panoptic-deeplab-dsconv', 'r52-dc5-os16'): 30_271_350,
    ('panoptic-deeplab', 'r50-dc5-os16'): 59_646_390,
    ('panoptic-deeplab', 'xception65-os16'): 74_033_318,
    ('panoptic-deeplab-dsconv', 'xception65-os16'): 44_534_502,
    ('panoptic-deeplab', 'hrnetw48-os32'): 78_657_974,
    ('panoptic-deeplab-dsconv', 'hrnetw48-os32'): 67_727_222,
}
# the same networks with another class count: the semantic classifier (a
# 1x1 conv from 256 channels, with bias) has (classes - 19) * 257 more
CLASSES = {'cityscapes': 19, 'coco-panoptic': 133}
CLASSES.update({'mapillary-vistas-v1.2': 65, 'mapillary-vistas-v2.0': 124})
# the README columns of each metric of the metafiles
README_COLUMNS = {
    'PQ': 'PQ',
    'SQ': 'SQ',
    'RQ': 'RQ',
    'AP': 'AP',
    'AP (semantic x center score)': 'AP',
    'mIoU': 'mIoU',
    'Mask AP': 'mask AP',
    'Box AP': 'box AP'
}


def load(path):
    with open(osp.join(ROOT, path)) as file:
        return yaml.safe_load(file)


def metafiles():
    return load('model-index.yml')['Import']


def models():
    return [(m, meta) for meta in metafiles() for m in load(meta)['Models']]


def test_model_index_imports_every_metafile():
    imported = metafiles()
    on_disk = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '*', 'metafile.y*ml')))
    assert sorted(imported) == on_disk


def test_every_entry_is_complete_and_its_paths_exist():
    collections = {
        c['Name']
        for meta in metafiles()
        for c in load(meta)['Collections']
    }
    for model, meta in models():
        name = model['Name']
        assert model['In Collection'] in collections, name
        assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
        assert osp.splitext(osp.basename(model['Config']))[0] == name
        assert {'Training Data', 'Batch Size',
                'Architecture'} <= set(model['Metadata']), name
        for result in model.get('Results', []):
            assert {'Task', 'Dataset', 'Metrics'} == set(result), name
        if 'Converted From' not in model:
            continue
        source = model['Converted From']
        assert source['Weights'].startswith('https://'), name
        script, *args = source['Command'].split()[1:]
        assert osp.isfile(osp.join(ROOT, script)), script
        assert args[args.index('--config') + 1] == model['Config'], name


def test_every_zoo_config_has_one_entry():
    configs = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
        if '_base_' not in p and 'synthetic' not in osp.basename(p))
    entries = sorted(model['Config'] for model, _ in models())
    assert entries == configs


def test_parameters_are_the_original_models():
    for model, _ in models():
        algorithm, row, _, dataset = model['Name'].split('_')
        dataset = dataset.rsplit('-', 1)[0]
        reference = DETECTRON2_PARAMS.get((algorithm, row))
        if reference is None:
            reference = ORIGINAL_PARAMS[row]
        expected = reference + (CLASSES[dataset] - 19) * 257
        assert model['Metadata']['Parameters'] == expected, model['Name']


def readme_rows(meta):
    """Config file name -> {column header: cell} of the results tables in
    the README beside the metafile."""
    with open(osp.join(ROOT, osp.dirname(meta), 'README.md')) as file:
        text = file.read()
    rows, header = {}, []
    for line in text.splitlines():
        if not line.startswith('|'):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        link = re.search(r'\]\((\S+\.py)\)', line)
        if not header:
            header = cells
        elif link:
            rows[link.group(1)] = dict(zip(header, cells))
    return rows


def test_metrics_equal_the_readme_table():
    for model, meta in models():
        row = readme_rows(meta)[osp.basename(model['Config'])]
        metrics = {}
        for result in model.get('Results', []):
            metrics.update(result['Metrics'])
        for key, column in README_COLUMNS.items():
            if column not in row:
                assert key not in metrics, (model['Name'], key)
                continue
            cells = row[column].split(' / ')
            cell = cells[-1 if 'center' in key else 0]
            if cell == '-':
                assert key not in metrics, (model['Name'], key)
            else:
                assert metrics[key] == float(cell), (model['Name'], key)
