"""Torch threads per process on CPU: cores / processes, at least 1, an
explicit OMP_NUM_THREADS wins, and the choice is printed."""
import pytest
import torch

from mmpdl.utils import choose_cpu_threads, setup_cpu_threads
from mmpdl.utils.cpu_threads import available_cores


@pytest.mark.parametrize('cores, processes, expected', [
    (16, 1, 16),
    (16, 4, 4),
    (16, 3, 5),
    (2, 1, 2),
    (2, 2, 1),
    (2, 8, 1),
    (1, 1, 1),
])
def test_cores_shared_between_processes(cores, processes, expected):
    threads, why = choose_cpu_threads(cores, processes)
    assert threads == expected
    assert f'{cores} cores / {processes} process' in why


@pytest.mark.parametrize('env, expected', [('3', 3), (' 1 ', 1), ('12', 12)])
def test_explicit_omp_num_threads_wins(env, expected):
    assert choose_cpu_threads(2, 8, env) == (expected, 'OMP_NUM_THREADS')


def test_empty_omp_num_threads_is_unset():
    assert choose_cpu_threads(8, 2, '')[0] == 4


@pytest.mark.parametrize('env', ['0', '-2', 'four', '1.5'])
def test_bad_omp_num_threads_names_value_and_fix(env):
    with pytest.raises(ValueError) as err:
        choose_cpu_threads(8, 1, env)
    message = str(err.value)
    assert f'OMP_NUM_THREADS={env!r}' in message
    assert 'OMP_NUM_THREADS=1' in message and 'unset' in message


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only choice')
def test_setup_sets_torch_threads_and_prints(capsys):
    before = torch.get_num_threads()
    try:
        many = str(4 * available_cores())
        assert setup_cpu_threads({'LOCAL_WORLD_SIZE': many}) == 1
        assert torch.get_num_threads() == 1
        assert setup_cpu_threads({'OMP_NUM_THREADS': '2'}) == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    printed = capsys.readouterr().out
    assert f'CPU: 1 torch thread(s) per process ({available_cores()} cores ' \
           f'/ {many} processes)' in printed
    assert 'CPU: 2 torch thread(s) per process (OMP_NUM_THREADS)' in printed
