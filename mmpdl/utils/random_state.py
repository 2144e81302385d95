"""Capture and restore the random number generators of a process.

A resumed run equals an uninterrupted one only if dropout, random
augmentations in the main process and anything else drawing random numbers
continue from the same states. These helpers hold the states of Python's
``random``, NumPy's global generator, torch's CPU generator and (when CUDA is
available) every CUDA device's generator in plain types (lists, ints,
``uint8`` tensors) that ``torch.load(weights_only=True)`` reads back.
"""
import logging
import random
from typing import Any, Dict

import numpy as np
import torch
from mmengine.logging import print_log


def capture_random_state() -> Dict[str, Any]:
    """The current states of this process's generators.

    Returns:
        dict: ``python`` (tuple), ``numpy`` (dict of plain values),
        ``torch`` (uint8 tensor) and ``cuda`` (list of uint8 tensors, one
        per device; empty without CUDA).
    """
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    cuda = []
    if torch.cuda.is_available():
        cuda = [s.clone() for s in torch.cuda.get_rng_state_all()]
    return dict(
        python=random.getstate(),
        numpy=dict(
            name=name,
            keys=keys.tolist(),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached_gaussian=float(cached_gaussian)),
        torch=torch.get_rng_state().clone(),
        cuda=cuda)


def restore_random_state(state: Dict[str, Any]) -> None:
    """Set this process's generators to ``state``.

    Args:
        state (dict): As returned by :func:`capture_random_state`.

    CUDA states are restored when this machine has as many devices as the
    state holds (otherwise a warning says they were not).
    """
    random.setstate(_as_tuples(state['python']))
    numpy_state = state['numpy']
    np.random.set_state(
        (numpy_state['name'], np.asarray(numpy_state['keys'],
                                         dtype=np.uint32), numpy_state['pos'],
         numpy_state['has_gauss'], numpy_state['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    cuda = state.get('cuda') or []
    if cuda and torch.cuda.is_available():
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        else:
            print_log(
                f'random states of {len(cuda)} CUDA devices saved, '
                f'{torch.cuda.device_count()} here: CUDA generators are not '
                'restored',
                level=logging.WARNING)


def _as_tuples(value):
    """Python's ``random.setstate`` needs tuples where a round trip through
    some serialisers gives lists."""
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(v) for v in value)
    return value
