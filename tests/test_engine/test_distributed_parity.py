"""2 gloo processes x 2 images == 1 process x 4 images, one training step.

The processes are set up as ``tools/train.py`` sets up a CPU-only
distributed run (the config's SyncBN becomes CPUSyncBN, the model is wrapped
in MMDistributedDataParallel); the reference is one process with plain BN
over the 4 images. Computed in float64, so that equal means equal up to the
order of float64 sums: in float32 the same comparison gives gradients apart
by up to ~2e-2 of a tensor's largest element (BN's backward subtracts
nearly equal sums: docs/user_guides/4_train_test.md), which would hide a
real difference.
"""
import pytest
import torch

from mmpdl.testing.distributed_parity import measure_parity

pytestmark = pytest.mark.slow  # trains a step in spawned processes

# float64 (eps 1.1e-16) sums in another order, amplified by the same
# cancellations as in float32 (there ~1e5 x eps); the differences that
# matter (plain BN, per-process losses) are 1e-2 and larger.
LOSS_TOL = 1e-12
GRAD_TOL = 1e-9
# after one Adam step of lr 1e-3 (the quickstart's): a millionth of a step
PARAM_TOL = 1e-9
STATS_TOL = 1e-12


@pytest.fixture(scope='module')
def parity(tmp_path_factory):
    return measure_parity(
        str(tmp_path_factory.mktemp('data')),
        images_per_process=2,
        crop_size=(33, 65),
        dtype=torch.float64)


def test_sync_bn_processes_equal_one_process(parity):
    """SyncBN over 2 processes == BN over the union: same losses (each the
    mean of the per-process losses), gradients after DDP's all-reduce,
    parameters after the Adam step, running mean/var (unbiased variance of
    the 4 images) and batch counters."""
    result = parity['config vs per_process_losses']
    for name, (ours, ref, rel) in result['losses'].items():
        assert rel < LOSS_TOL, (name, ours, ref)
    assert result['grad_max_rel'] < GRAD_TOL
    assert result['param_max_abs'] < PARAM_TOL
    assert result['stats_max_rel'] < STATS_TOL
    assert result['batches_tracked_equal']


def test_losses_are_per_process_as_in_the_original(parity):
    """Each process's losses are over its own 2 images and DDP averages the
    gradients, as in the original implementation: the top-k semantic loss
    and the offset loss divided by the weight sum differ from the losses
    over the 4 images at once; the BN statistics do not."""
    result = parity['config vs union']
    assert result['losses']['loss_sem'][2] > 1e-3
    assert result['losses']['loss_offset'][2] > 1e-3
    assert result['grad_rel_l2'] > 1e-3
    assert result['stats_max_rel'] < STATS_TOL


def test_plain_bn_per_process_differs(parity):
    """With BN in each process (each normalises its own 2 images) the same
    comparison fails by far: the test can tell the two apart."""
    result = parity['BN vs per_process_losses']
    assert result['grad_rel_l2'] > 1e-2
    assert result['stats_max_rel'] > 1e-2
    assert max(rel for _, _, rel in result['losses'].values()) > 1e-5


def test_tool_table_has_a_row_per_comparison(parity):
    from measure_dist_parity import format_table, parse_args
    lines = format_table(parity).splitlines()
    assert lines[0].startswith('| comparison | loss_sem | loss_center |')
    rows = {line.split(' | ')[0][2:]: line for line in lines[2:]}
    assert set(rows) == {
        'config vs per_process_losses', 'BN vs per_process_losses',
        'config vs union', 'BN vs union'
    }
    bn_grad = parity['BN vs per_process_losses']['grad_rel_l2']
    assert f'{bn_grad:.2e}' in rows['BN vs per_process_losses']
    args = parse_args(['--crop', '33', '65', '--dtype', 'float64'])
    assert (tuple(args.crop), args.dtype, args.processes) == ((33, 65),
                                                              'float64', 2)
