"""How many torch threads a training/testing process uses on a CPU.

PyTorch starts one intra-op thread per core in every process, so N
processes on one machine (``torchrun --nproc_per_node N``, or several
trainings side by side) ask for N times the cores and slow each other down.
Each process takes its share instead: ``cores // processes`` (at least 1),
unless ``OMP_NUM_THREADS`` names a number, which always wins.
"""
import os
from typing import Mapping, Optional, Tuple

import torch
from mmengine.logging import print_log


def choose_cpu_threads(
        cores: int,
        processes: int = 1,
        omp_num_threads: Optional[str] = None) -> Tuple[int, str]:
    """Threads for one of ``processes`` processes sharing ``cores`` cores.

    Args:
        cores (int): CPU cores this process may run on.
        processes (int): Processes sharing them (torchrun's
            ``LOCAL_WORLD_SIZE``). Defaults to 1.
        omp_num_threads (str, optional): The ``OMP_NUM_THREADS`` environment
            value, if set; a positive integer that overrides the choice.

    Returns:
        tuple[int, str]: The thread count and why it was chosen.

    Raises:
        ValueError: ``omp_num_threads`` is set but not a positive integer.
    """
    if omp_num_threads is not None and omp_num_threads.strip() != '':
        try:
            threads = int(omp_num_threads)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(
                f'OMP_NUM_THREADS={omp_num_threads!r} is not a positive '
                'integer; set it to the torch threads each process should '
                'use (e.g. OMP_NUM_THREADS=1), or unset it to use cores / '
                'processes.')
        return threads, 'OMP_NUM_THREADS'
    processes = max(1, int(processes))
    threads = max(1, int(cores) // processes)
    plural = 'es' if processes > 1 else ''
    return threads, f'{cores} cores / {processes} process{plural}'


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask if known)."""
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def setup_cpu_threads(environ: Optional[Mapping[str, str]] = None) -> int:
    """Set torch's intra-op threads for this process and print the choice.

    Does nothing on a machine with CUDA (the GPU does the work there).

    Args:
        environ (Mapping[str, str], optional): Environment to read
            ``OMP_NUM_THREADS`` and ``LOCAL_WORLD_SIZE`` from. Defaults to
            ``os.environ``.

    Returns:
        int: The threads now used by torch in this process.
    """
    if torch.cuda.is_available():
        return torch.get_num_threads()
    environ = os.environ if environ is None else environ
    processes = int(environ.get('LOCAL_WORLD_SIZE', '1') or 1)
    threads, why = choose_cpu_threads(available_cores(), processes,
                                      environ.get('OMP_NUM_THREADS'))
    torch.set_num_threads(threads)
    print_log(f'CPU: {threads} torch thread(s) per process ({why}); set '
              'OMP_NUM_THREADS=N to choose another number.')
    return threads
