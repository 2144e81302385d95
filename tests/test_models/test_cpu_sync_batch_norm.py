"""CPUSyncBatchNorm over 2 gloo processes == nn.BatchNorm2d over the union
of their batches (forward, gradients, running statistics)."""
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

from mmpdl.models.utils import CPUSyncBatchNorm

CHANNELS = 3
# uneven batches: the statistics must weigh each process by its pixel count
BATCHES = (3, 1)
STEPS = 2
# float32 sums over a few hundred values in another order
TOL = dict(rtol=1e-5, atol=1e-5)


def _inputs():
    gen = torch.Generator().manual_seed(0)
    # a mean far from 0 and channel-dependent scales test the variance
    scale = torch.tensor([0.5, 2.0, 7.0]).view(1, -1, 1, 1)
    images = [
        torch.randn(STEPS, sum(BATCHES), CHANNELS, 5, 6, generator=gen) * scale
        + 3.0,
        torch.randn(STEPS, sum(BATCHES), CHANNELS, 5, 6, generator=gen)
    ]
    return images  # inputs, weights of the loss sum(output * weights)


def _start(rank):
    return sum(BATCHES[:rank]), sum(BATCHES[:rank + 1])


def _run(layer, inputs, loss_weights, first, last):
    """STEPS training forward/backward passes on images first:last; returns
    outputs, input gradients, parameter gradients, final state."""
    outputs, input_grads, param_grads = [], [], []
    for step in range(STEPS):
        x = inputs[step, first:last].clone().requires_grad_(True)
        out = layer(x)
        (out * loss_weights[step, first:last]).sum().backward()
        outputs.append(out.detach())
        input_grads.append(x.grad)
        if layer.affine:
            param_grads.append(
                torch.stack(
                    [layer.weight.grad.clone(),
                     layer.bias.grad.clone()]))
            layer.zero_grad()
        else:
            param_grads.append(torch.zeros(2, CHANNELS))
    return dict(
        outputs=torch.cat(outputs),
        input_grads=torch.cat(input_grads),
        param_grads=torch.stack(param_grads),
        state={
            k: v.clone()
            for k, v in layer.state_dict().items()
        })


def _build(cls, momentum, affine=True):
    torch.manual_seed(1)
    layer = cls(CHANNELS, momentum=momentum, affine=affine)
    if affine:
        nn.init.uniform_(layer.weight, 0.5, 1.5)
        nn.init.uniform_(layer.bias, -1.0, 1.0)
    return layer.train()


# (momentum, affine): exponential and cumulative running averages, with and
# without weight and bias
CASES = ((0.01, True), (None, False))


def _worker(rank, port, out_file):
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=2)
    try:
        torch.set_num_threads(1)
        inputs, loss_weights = _inputs()
        results = []
        for momentum, affine in CASES:
            result = _run(
                _build(CPUSyncBatchNorm, momentum, affine), inputs,
                loss_weights, *_start(rank))
            # the parameters' gradients of the summed losses of both
            # processes
            dist.all_reduce(result['param_grads'])
            results.append(result)
        torch.save(results, f'{out_file}.{rank}')
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def two_process_results(tmp_path_factory):
    out_file = str(tmp_path_factory.mktemp('sync_bn') / 'result')
    mp.spawn(_worker, args=(_free_port(), out_file), nprocs=2, join=True)
    return [torch.load(f'{out_file}.{r}', weights_only=True) for r in (0, 1)]


@pytest.mark.parametrize('case', range(len(CASES)))
def test_two_processes_equal_batch_norm_over_the_union(two_process_results,
                                                       case):
    momentum, affine = CASES[case]
    inputs, loss_weights = _inputs()
    union = _run(
        _build(nn.BatchNorm2d, momentum, affine), inputs, loss_weights, 0,
        sum(BATCHES))
    for rank, results in enumerate(two_process_results):
        result = results[case]
        first, last = _start(rank)
        for key in ('outputs', 'input_grads'):
            expected = union[key].view(STEPS, sum(BATCHES),
                                       *inputs.shape[2:])[:, first:last]
            torch.testing.assert_close(
                result[key], expected.flatten(0, 1), **TOL, msg=key)
        torch.testing.assert_close(result['param_grads'], union['param_grads'],
                                   **TOL)
        assert result['state'].keys() == union['state'].keys()
        for key, value in union['state'].items():
            torch.testing.assert_close(result['state'][key], value, **TOL)
    # not trivially equal: each process's own statistics differ
    own = _run(
        _build(nn.BatchNorm2d, momentum, affine), inputs, loss_weights,
        *_start(1))
    assert not torch.allclose(own['state']['running_var'],
                              union['state']['running_var'], **TOL)


def test_without_process_group_it_is_batch_norm():
    inputs, loss_weights = _inputs()
    ours = _run(_build(CPUSyncBatchNorm, 0.1), inputs, loss_weights, 0, 4)
    ref = _run(_build(nn.BatchNorm2d, 0.1), inputs, loss_weights, 0, 4)
    for key in ('outputs', 'input_grads', 'param_grads'):
        assert torch.equal(ours[key], ref[key]), key
    for key, value in ref['state'].items():
        assert torch.equal(ours['state'][key], value), key
    layer = _build(CPUSyncBatchNorm, 0.1).eval()
    ref_layer = _build(nn.BatchNorm2d, 0.1).eval()
    assert torch.equal(layer(inputs[0]), ref_layer(inputs[0]))
    with pytest.raises(ValueError, match=r'\(N, C, \.\.\.\)'):
        layer(torch.ones(3))
