"""tools/analysis_tools/quickstart_seeds.py: the per-seed training command,
the s/iter of an mmengine json log, the metric columns and the table."""
import json

import pytest

from repo import load_script

seeds_tool = load_script('tools/analysis_tools/quickstart_seeds.py',
                         'quickstart_seeds')


def test_train_command_sets_the_seed_and_resumes():
    cmd = seeds_tool.train_command('cfg.py', 7, 'w/seed7', ['a=1'])
    assert cmd[1].endswith('tools/train.py')
    assert cmd[2:] == [
        'cfg.py', '--work-dir', 'w/seed7', '--resume', '--cfg-options',
        'randomness.seed=7', 'a=1'
    ]


def test_data_options_point_every_split_at_the_root():
    assert seeds_tool.data_options('d') == [
        'train_dataloader.dataset.data_root=d',
        'val_dataloader.dataset.data_root=d',
        'test_dataloader.dataset.data_root=d'
    ]


def test_seconds_per_iter_averages_training_records_only():
    lines = [
        json.dumps(dict(lr=1e-3, loss=2.0, time=1.0, iter=20)),
        json.dumps(dict(lr=1e-3, loss=1.5, time=0.5, iter=40)),
        # a validation record has a time but no loss
        json.dumps({
            'cityscapes_panoptic/PQ': 50.0,
            'time': 9.0,
            'step': 40
        }),
    ]
    assert seeds_tool.seconds_per_iter(lines) == pytest.approx(0.75)
    assert seeds_tool.seconds_per_iter([]) is None


def test_columns_are_found_with_or_without_a_prefix():
    metrics = {
        'cityscapes_panoptic/PQ': 60.0,
        'cityscapes_panoptic/PQ_th': 30.0,
        'cityscapes_panoptic/PQ_person': 1.0,
        'cityscapes_instance/AP': 12.0,
        'cityscapes_instance/AP_sem_x_ctr': 11.0,
        'mIoU': 70.0,
    }
    assert seeds_tool.pick_metrics(metrics) == {
        'PQ': 60.0,
        'PQ_th': 30.0,
        'AP': 12.0,
        'AP (sem x ctr)': 11.0,
        'mIoU': 70.0
    }


def test_table_has_one_row_per_seed_and_dashes_for_missing_values():
    table = seeds_tool.format_table({
        0: {
            'PQ': 61.04,
            'PQ_th': 30.0,
            's/iter': 0.874
        },
        2: {
            'PQ': 5.0
        }
    }).splitlines()
    assert table[0].startswith('| seed | PQ | SQ | RQ | PQ_th |')
    assert table[0].endswith('| s/iter |')
    assert table[2] == '| 0 | 61.0 | - | - | 30.0 | - | - | - | - | - | 0.87 |'
    assert table[3] == '| 2 | 5.0 | - | - | - | - | - | - | - | - | - |'
    assert len(table) == 4
