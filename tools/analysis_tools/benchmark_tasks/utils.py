"""Timing, peak-memory, table and JSON helpers of the benchmark suite.

mmengine has no harness that measures two implementations side by side,
so these are mmpdl's own: a call is timed as the median of N runs after
warm-up (``time.perf_counter``, CUDA synchronised) and its peak memory is the
CPU high-water mark of resident memory (``VmHWM`` of ``/proc/self/status``,
reset before each measurement through ``/proc/self/clear_refs``) or, on a GPU,
``torch.cuda.max_memory_allocated``.
"""
import json
import os
import resource
import statistics
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch

_STATUS = '/proc/self/status'
_CLEAR_REFS = '/proc/self/clear_refs'


def _status_kib(key: str) -> Optional[int]:
    """A ``kB`` field of ``/proc/self/status`` (None when not on Linux)."""
    try:
        with open(_STATUS) as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_cpu_peak() -> bool:
    """Reset the resident-memory high-water mark of this process.

    Returns:
        bool: True when the kernel accepted the reset; False when only
        ``ru_maxrss`` (peak since process start) is available.
    """
    try:
        with open(_CLEAR_REFS, 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def cpu_peak_mib() -> float:
    """Peak resident memory (MiB) since the last :func:`reset_cpu_peak`."""
    kib = _status_kib('VmHWM')
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0


def cpu_rss_mib() -> float:
    """Current resident memory of this process in MiB."""
    kib = _status_kib('VmRSS')
    return float('nan') if kib is None else kib / 1024.0


def children_peak_mib() -> float:
    """Largest peak resident memory (MiB) of any finished child process."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def measure(fn: Callable[[], Any],
            device: str = 'cpu',
            warmup: int = 1,
            repeats: int = 5) -> Dict[str, Any]:
    """Time ``fn`` and record its peak memory.

    The first warm-up call's return value is kept as the output to compare
    (so outputs are checked on the very code path that is timed).

    Args:
        fn (Callable): The work, called with no argument.
        device (str): ``'cpu'`` or ``'cuda'``; on CUDA every run is
            synchronised and the peak is ``max_memory_allocated``.
        warmup (int): Untimed calls before the timed ones (at least 1).
        repeats (int): Timed calls; their median is reported.

    Returns:
        dict: ``output`` (first call's result), ``median_ms``, ``runs_ms``
        (list of float), ``peak_mib`` (peak memory during all calls; CPU: peak
        resident memory of the process, GPU: peak allocated),
        ``peak_above_start_mib`` (that minus the memory in use before the
        first call: what the work itself needs beyond its inputs and model)
        and ``peak_kind`` (how it was measured).
    """
    return measure_alternating([fn], device, warmup, repeats)[0]


def _reset_peak(cuda: bool) -> str:
    """Reset the peak-memory counter; returns how the peak is measured."""
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        return 'cuda max_memory_allocated'
    return ('cpu VmHWM (reset)'
            if reset_cpu_peak() else 'cpu ru_maxrss (since start)')


def _in_use_mib(cuda: bool) -> float:
    return (torch.cuda.memory_allocated() / 2**20 if cuda else cpu_rss_mib())


def _peak_mib(cuda: bool) -> float:
    return (torch.cuda.max_memory_allocated() /
            2**20 if cuda else cpu_peak_mib())


def measure_alternating(fns: Sequence[Callable[[], Any]],
                        device: str = 'cpu',
                        warmup: int = 1,
                        repeats: int = 5) -> List[Dict[str, Any]]:
    """Time several functions in turns (a, b, a, b, ...), like
    :func:`measure` each.

    Taking turns gives every side the same share of a machine whose load
    changes while it runs (a shared CPU), so their ratio stays fair. The
    peak memory of a side is the largest over its own calls (the counter is
    reset before every call).

    Args:
        fns (Sequence[Callable]): The work of each side, called with no
            argument.
        device (str): ``'cpu'`` or ``'cuda'`` (see :func:`measure`).
        warmup (int): Untimed calls of each side (at least 1).
        repeats (int): Timed calls of each side.

    Returns:
        list[dict]: Per function the dict :func:`measure` returns.
    """
    if warmup < 1 or repeats < 1:
        raise ValueError(f'warmup={warmup} and repeats={repeats} must both '
                         'be >= 1.')
    cuda = device.startswith('cuda')
    if cuda:
        torch.cuda.empty_cache()
    results = [
        dict(output=None, runs_ms=[], peak_mib=0.0, baseline=None) for _ in fns
    ]
    for turn in range(warmup + repeats):
        for fn, result in zip(fns, results):
            if result['baseline'] is None:
                result['baseline'] = _in_use_mib(cuda)
            result['peak_kind'] = _reset_peak(cuda)
            start = time.perf_counter()
            output = fn()
            _sync(device)
            elapsed = (time.perf_counter() - start) * 1000.0
            result['peak_mib'] = max(result['peak_mib'], _peak_mib(cuda))
            if turn == 0:
                result['output'] = output
            elif turn >= warmup:
                result['runs_ms'].append(elapsed)
            del output
    for result in results:
        result['median_ms'] = statistics.median(result['runs_ms'])
        result['peak_above_start_mib'] = (
            result['peak_mib'] - result.pop('baseline'))
    return results


def make_row(task: str,
             ours: Optional[Dict[str, Any]],
             theirs: Optional[Dict[str, Any]],
             theirs_name: str,
             equal: Optional[bool],
             detail: str = '',
             **extra) -> Dict[str, Any]:
    """One result row (a JSON-serialisable dict) of the suite's table.

    Args:
        task (str): Task name shown in the table.
        ours (dict | None): :func:`measure` result of mmpdl's side; None
            when the task could not run.
        theirs (dict | None): :func:`measure` result of the original or
            official side; None when it was not run.
        theirs_name (str): What the other side is (e.g. ``original``).
        equal (bool | None): Outcome of the equality check; None when there
            was nothing to compare with.
        detail (str): How equality was judged (e.g. differing pixels), or
            why the task did not run.
        **extra: More JSON-serialisable fields.

    Returns:
        dict: ``task``, ``ours_ms``, ``theirs_ms``, ``ratio``
        (theirs / ours: how many times faster ours is), ``equal``,
        ``detail``, peak memory of both sides and the runs.
    """
    row = dict(
        task=task,
        peak_kind=ours and ours['peak_kind'],
        theirs_name=theirs_name,
        ratio=None,
        equal=None if equal is None else bool(equal),
        detail=detail)
    for side, result in (('ours', ours), ('theirs', theirs)):
        for key in ('ms', 'runs_ms', 'peak_mib', 'peak_above_start_mib'):
            name = 'median_ms' if key == 'ms' else key
            row[f'{side}_{key}'] = result and result[name]
    if ours is not None and theirs is not None:
        row['ratio'] = theirs['median_ms'] / max(ours['median_ms'], 1e-9)
    row.update(extra)
    return row


def _fmt(value: Any, spec: str) -> str:
    return '-' if value is None else format(value, spec)


def _peak(row: Dict[str, Any], side: str) -> str:
    peak = row.get(f'{side}_peak_mib')
    if peak is None:
        return '-'
    above = row.get(f'{side}_peak_above_start_mib')
    return f'{peak:.0f}' + ('' if above is None else f' (+{above:.0f})')


def format_table(rows: List[Dict[str, Any]]) -> str:
    """Render rows from :func:`make_row` as a Markdown table.

    Columns: task, ours (ms), original/official (ms), ratio (x faster),
    equal?, peak memory of both sides in MiB (in brackets: above what was in
    use before the first call) and how equality was judged.
    """
    header = ('| task | ours ms | original/official ms | ratio | equal? | '
              'ours peak MiB | theirs peak MiB | check |')
    lines = [header, '|' + '---|' * 8]
    for r in rows:
        equal = {None: '-', True: 'yes', False: 'NO'}[r['equal']]
        theirs = _fmt(r['theirs_ms'], '.1f')
        if r['theirs_ms'] is not None:
            theirs += f" ({r['theirs_name']})"
        lines.append(f"| {r['task']} | {_fmt(r['ours_ms'], '.1f')} | "
                     f"{theirs} | {_fmt(r['ratio'], '.2f')} | {equal} | "
                     f"{_peak(r, 'ours')} | {_peak(r, 'theirs')} | "
                     f"{r['detail']} |")
    return '\n'.join(lines)


def _plain(value: Any) -> Any:
    """numpy / torch scalars to Python numbers for JSON."""
    if hasattr(value, 'item'):
        return value.item()
    raise TypeError(f'{type(value).__name__} is not JSON serialisable')


def write_json(path: str, rows: List[Dict[str, Any]], meta: Dict[str,
                                                                 Any]) -> None:
    """Write ``{'meta': meta, 'rows': rows}`` to ``path`` (creates dirs)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(meta=meta, rows=rows), f, indent=2, default=_plain)
