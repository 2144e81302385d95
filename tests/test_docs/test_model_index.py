"""model-index.yml and the metafiles: every path they name exists, every
model-zoo config has an entry, and the numbers agree with the configs'
README and with the reference models' parameter counts."""
import glob
import os.path as osp
import re

import yaml

from .markdown import ROOT

# parameter counts (19 classes): the original implementation's models;
# MobileNetV3: torchvision's features + the head
# (tests/test_models/test_mobilenet_v3_configs.py)
PARAMS = {
    'r50-os32': 55_308_870,
    'r101-os32': 74_300_998,
    'x101-32x8d-os32': 118_543_174,
    'xception65-os32': 69_632_054,
    'mobilenetv2-os32': 7_719_814,
    'hrnetw48-os4': 72_209_222,
    'mobilenetv3-large-os16': 18_235_510,
    'mobilenetv3-large-os32': 18_235_510,
    'mobilenetv3-small-os16': 10_483_174,
    'mobilenetv3-small-os32': 10_483_174,
}
# README column -> metric names of the metafile (AP: semantic / semantic x
# center score)
METRIC_COLUMNS = {
    'PQ': ('PQ', ),
    'SQ': ('SQ', ),
    'RQ': ('RQ', ),
    'AP': ('AP', 'AP (semantic x center score)'),
    'mIoU': ('mIoU', ),
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
        for result in model['Results']:
            assert {'Task', 'Dataset', 'Metrics'} == set(result), name
        source = model.get('Converted From')
        if source is None:  # a recipe without convertible weights
            assert model['Metadata']['Original Config'].startswith(
                'https://'), name
            continue
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


def test_parameters_are_the_reference_models():
    for model, _ in models():
        row = model['Name'].split('_')[1]
        assert model['Metadata']['Parameters'] == PARAMS[row], row


def readme_rows(meta):
    """Config file name -> {metric: value} of the results tables in the
    README beside the metafile (columns named in ``METRIC_COLUMNS``; a
    ``-`` cell is a metric without a published number)."""
    with open(osp.join(ROOT, osp.dirname(meta), 'README.md')) as file:
        text = file.read()
    rows, header = {}, None
    for line in text.splitlines():
        if not line.startswith('|'):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if header is None:
            header = cells
            continue
        link = re.search(r'\]\((\S+\.py)\)', line)
        if not link:
            continue
        metrics = {}
        for column, cell in zip(header, cells):
            if column in METRIC_COLUMNS and cell != '-':
                names = METRIC_COLUMNS[column]
                values = cell.split(' / ')
                assert len(values) == len(names), (column, cell)
                metrics.update(zip(names, map(float, values)))
        rows[link.group(1)] = metrics
    return rows


def test_metrics_equal_the_readme_table():
    for model, meta in models():
        metrics = {}
        for result in model['Results']:
            metrics.update(result['Metrics'])
        assert readme_rows(meta)[osp.basename(model['Config'])] == metrics
