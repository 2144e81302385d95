"""docs/custom_dataset.md runs as written: its script makes the tiny
dataset, its shell commands convert, check, train, test and browse it (in
a scratch folder that sees the repository's tools and configs), its
own-Runner script builds the model with the dataset's class count, and the
outputs it quotes are the real ones.

Each ``python SCRIPT ARGS`` command of a shell block runs with exactly its
arguments (``for`` loops expanded); training and testing in their own
processes, the light tools in this one (``runpy``, as ``__main__``) to
spare an interpreter start each.
"""
import contextlib
import io
import json
import os
import os.path as osp
import re
import runpy
import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from .markdown import ROOT, code_blocks
from repo import subprocess_env

DOC = 'docs/custom_dataset.md'
OWN_PROCESS = ('tools/train.py', 'tools/test.py')
SEM_SEG_BIAS = 'decode_head.semantic_head.sem_seg.1.bias'
LOOP = re.compile(r'^for (\w+) in ([^;]+); do\n(.*?)^done$', re.M | re.S)


def file_blocks():
    """Path -> content of the doc's python blocks that name their file on
    their first line (``# path``)."""
    blocks = {}
    for body in code_blocks(DOC, 'python'):
        first = body.splitlines()[0]
        assert first.startswith('# '), first
        blocks[first[2:].strip()] = body
    return blocks


def commands(block):
    """The argv of each command of a shell block, loops expanded."""
    block = block.replace('\\\n', ' ')

    def expand(match):
        var, values, body = match.groups()
        return ''.join(
            body.replace(f'${var}', value) for value in values.split())

    block = LOOP.sub(expand, block)
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def run_block(block, cwd):
    """Run every command; returns what they printed."""
    printed = []
    for argv in commands(block):
        assert argv[0] == 'python', argv
        if argv[1] in OWN_PROCESS:
            env = subprocess_env(OMP_NUM_THREADS='1')
            done = subprocess.run(
                [sys.executable] + argv[1:],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True)
            assert done.returncode == 0, done.stderr[-3000:]
            printed.append(done.stdout + done.stderr)
            continue
        out, old = io.StringIO(), (os.getcwd(), sys.argv)
        os.chdir(cwd)
        sys.argv = argv[1:]
        try:
            with contextlib.redirect_stdout(out), \
                    contextlib.redirect_stderr(out):
                runpy.run_path(argv[1], run_name='__main__')
        except SystemExit as done:
            assert done.code in (0, None), out.getvalue()
        finally:
            os.chdir(old[0])
            sys.argv = old[1]
        printed.append(out.getvalue())
    return '\n'.join(printed)


@pytest.fixture
def scratch(tmp_path):
    (tmp_path / 'configs').mkdir()
    for name in os.listdir(osp.join(ROOT, 'configs')):
        os.symlink(
            osp.join(ROOT, 'configs', name), tmp_path / 'configs' / name)
    os.symlink(osp.join(ROOT, 'tools'), tmp_path / 'tools')
    for path, body in file_blocks().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(body)
    return tmp_path


def test_loops_and_continuations_are_expanded():
    block = 'for s in a b; do\n  python x.py --n $s \\\n    --m 1\ndone\n'
    assert commands(block) == [['python', 'x.py', '--n', 'a', '--m', '1'],
                               ['python', 'x.py', '--n', 'b', '--m', '1']]


def quoted_error(scratch, convert):
    """What the converter prints for a semantic value 5 on 12x26 pixels of
    train/a.png."""
    path = scratch / 'data/my_dataset/labels/semantic/train/a.png'
    semantic = np.asarray(Image.open(path)).copy()
    semantic[:12, :26] = 5
    Image.fromarray(semantic).save(path)
    with pytest.raises(AssertionError) as failed:
        run_block(convert, scratch)
    return str(failed.value)


def in_scratch(scratch, script):
    """Run ``script`` (a path in ``scratch``) there; its globals."""
    old = os.getcwd()
    os.chdir(scratch)
    try:
        return runpy.run_path(script)
    finally:
        os.chdir(old)


def check_classes_from_dataset(scratch):
    """The config names no class count: the head gets the dataset's 4
    classes (the doc's own-Runner script), and an explicit other count
    stops with the message the doc quotes."""
    from mmengine.config import Config

    from mmpdl.datasets import fill_dataset_meta
    runner = in_scratch(scratch, 'build_runner.py')['runner']
    head = runner.model.decode_head
    assert head.num_classes == 4
    assert head.semantic_head['sem_seg'][1].out_channels == 4
    config, = [p for p in file_blocks() if p.startswith('configs/')]
    old = os.getcwd()
    os.chdir(scratch)
    try:
        cfg = Config.fromfile(config)
        assert cfg.model.decode_head.num_classes is None
        cfg.model.decode_head.num_classes = 19
        with pytest.raises(ValueError) as mismatch:
            fill_dataset_meta(cfg)
    finally:
        os.chdir(old)
    assert str(mismatch.value) == code_blocks(DOC, 'text')[3].strip()


@pytest.mark.slow
def test_worked_example(scratch):
    make, convert, check, train, browse = code_blocks(DOC, 'shell')
    run_block(make, scratch)
    root = scratch / 'data' / 'my_dataset'
    categories = code_blocks(DOC, 'text')[0]
    assert (root / 'categories.csv').read_text() == categories
    run_block(convert, scratch)
    train_ann = json.loads(
        (root / 'annotations' / 'panoptic_train.json').read_text())
    assert [c['name'] for c in train_ann['categories']
            ] == ['ground', 'sky', 'box', 'ball']
    # per image: ground, sky and 3 boxes + 3 balls
    for entry in train_ann['annotations']:
        cats = sorted(s['category_id'] for s in entry['segments_info'])
        assert cats == [1, 2, 7, 7, 7, 9, 9, 9]
    printed = run_block(check, scratch)
    assert ('OK: 2 annotation(s) in '
            'data/my_dataset/annotations/panoptic_train.json, no problems'
            ) in printed
    assert 'OK: 1 annotation(s) in ' in printed
    check_classes_from_dataset(scratch)
    printed = run_block(train, scratch)
    work = scratch / 'work_dirs' / 'my_dataset'
    assert (work / 'iter_20.pth').is_file()
    # save_best='PQ' of the schedule: the metric reported as panoptic/PQ
    assert (work / 'best_panoptic_PQ_iter_20.pth').is_file()
    saved = torch.load(work / 'iter_20.pth', weights_only=True)
    assert saved['meta']['dataset_meta']['classes'] == ('ground', 'sky', 'box',
                                                        'ball')
    assert saved['state_dict'][SEM_SEG_BIAS].shape == (4, )
    for key in ('panoptic/PQ', 'semantic/mIoU', 'mask AP (semantic score)',
                'bbox AP (semantic_x_center score)'):
        assert key in printed, key
    for name in ('ground', 'sky', 'box', 'ball'):  # rows of the PQ table
        assert re.search(rf'\|\s+{name}\s+\|', printed), name
    run_block(browse, scratch)
    assert sorted(os.listdir(work / 'browse')) == ['a.png', 'b.png']
    quoted = code_blocks(DOC, 'text')[2]
    assert quoted.strip() in quoted_error(scratch, convert)
