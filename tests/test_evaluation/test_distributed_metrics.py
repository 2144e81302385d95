"""A 2-process gloo evaluation gives exactly the numbers of one process."""
import copy
import math
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmpdl.datasets import CITYSCAPES_META
from mmpdl.evaluation import CityscapesInstanceMetric, CityscapesPanopticMetric
from .oracle_data import make_samples


def _evaluate(samples, indices, size):
    results = {}
    for cls in (CityscapesPanopticMetric, CityscapesInstanceMetric):
        metric = cls()
        metric.dataset_meta = dict(CITYSCAPES_META)
        for i in indices:
            metric.process({}, [copy.deepcopy(samples[i])])
        results.update(metric.evaluate(size))
    return results


def _worker(rank, port, sample_file, out_file):
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        samples = torch.load(sample_file, weights_only=False)
        # mmengine's DefaultSampler gives rank r the samples r, r + 2, ...
        results = _evaluate(samples, range(rank, len(samples), 2),
                            len(samples))
        if rank == 0:
            torch.save(results, out_file)
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_process_gloo_equals_one_process(tmp_path):
    _, samples = make_samples(str(tmp_path / 'data'), num_images=5)
    single = _evaluate(samples, range(len(samples)), len(samples))
    sample_file, out_file = tmp_path / 'samples.pth', tmp_path / 'out.pth'
    torch.save(samples, sample_file)
    mp.spawn(
        _worker,
        args=(_free_port(), str(sample_file), str(out_file)),
        nprocs=2,
        join=True)
    multi = torch.load(out_file, weights_only=False)
    assert multi.keys() == single.keys()
    for key, value in single.items():
        if math.isnan(value):
            assert math.isnan(multi[key]), key
        else:
            assert multi[key] == value, key  # exactly, not approximately
