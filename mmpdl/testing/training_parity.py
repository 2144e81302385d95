"""Training parity: a reference and mmpdl trained on the same weights and
batches, compared step by step.

A reference adapter (:mod:`mmpdl.testing.original_training`,
:mod:`mmpdl.testing.detectron2_training`) trains its own model with its own
optimizer, LR scheduler and loop and returns a :class:`TrainingRecord` in
mmpdl's parameter names (renamed by the checkpoint converter);
:func:`train_mmpdl` trains the model of an mmpdl config through mmengine's
``Runner`` (optimizer wrapper and parameter schedulers built from the
config, as ``tools/train.py`` builds them; the converted initial weights as
``load_from``) on the same batches; :func:`compare_records` measures the
differences and :func:`print_table` prints the table of the
``tools/model_converters/verify_training_against_*.py`` scripts.

Dropout draws the same masks on both sides: the torch seed is set to the
same value right before each iteration's forward pass, and both models run
the same dropout layers in the same order.
"""
import copy
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.hooks import Hook

#: canonical loss term names (mmpdl's ``loss_<name>``)
LOSS_TERMS = ('sem', 'center', 'offset')
#: a row passes when losses, parameters and BN statistics agree to this
#: relative difference (float32 rounding), and LRs to ``LR_TOLERANCE``
TOLERANCE = 1e-5
LR_TOLERANCE = 1e-9
BN_BUFFERS = ('running_mean', 'running_var')


@dataclass
class TrainingRecord:
    """What one side of a comparison did, in mmpdl's parameter names.

    Attributes:
        losses (list[dict[str, float]]): Per iteration, the value of each
            of :data:`LOSS_TERMS` (weighted, as summed into the loss).
        hyper (list[dict[str, tuple[float, float]]]): Per iteration, the
            ``(lr, weight_decay)`` each trainable parameter was updated
            with.
        optimizer (dict[str, tuple]): Per trainable parameter, its
            optimizer's fixed settings (class name, betas, eps, momentum,
            gradient clipping) as a hashable tuple.
        initial (dict[str, Tensor]): State dict before the first iteration.
        final (dict[str, Tensor]): State dict after the last iteration.
        seconds (float): Wall time of the training iterations.
    """
    losses: List[Dict[str, float]] = field(default_factory=list)
    hyper: List[Dict[str, Tuple[float, float]]] = field(default_factory=list)
    optimizer: Dict[str, tuple] = field(default_factory=dict)
    initial: Dict[str, torch.Tensor] = field(default_factory=dict)
    final: Dict[str, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0


def detached_state(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """A CPU copy of ``model.state_dict()``."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def optimizer_settings(group: dict, optimizer_type: str,
                       clip_grad: Optional[str]) -> tuple:
    """The fixed settings of a parameter group as a hashable tuple.

    Args:
        group (dict): A ``torch.optim`` parameter group.
        optimizer_type (str): e.g. ``'Adam'``.
        clip_grad (str, optional): Gradient clipping, ``None`` when off.

    Returns:
        tuple: ``(type, betas, eps, amsgrad, momentum, nesterov,
        clip_grad)`` (``None`` where the optimizer has no such setting).
    """
    return (optimizer_type, tuple(group.get('betas', ()))
            or None, group.get('eps'), group.get('amsgrad'),
            group.get('momentum'), group.get('nesterov'), clip_grad)


def start_record(model: torch.nn.Module, optimizer, clip_cfg, names: Dict[int,
                                                                          str],
                 convert: Callable[[dict], dict]) -> 'TrainingRecord':
    """A reference's record before its first step: the converted initial
    weights and every parameter's optimizer settings.

    Args:
        model (nn.Module): The reference model.
        optimizer: Its ``torch.optim`` optimizer (detectron2's
            ``...WithGradientClip`` subclass is named by its base).
        clip_cfg: The YAML's ``SOLVER.CLIP_GRADIENTS`` (``ENABLED`` and
            its settings).
        names (dict[int, str]): ``id(parameter)`` -> mmpdl name.
        convert (callable): Reference state dict -> mmpdl state dict.
    """
    record = TrainingRecord()
    record.initial = {
        k: v.detach().clone()
        for k, v in convert(detached_state(model)).items()
    }
    clip = str(dict(clip_cfg)) if clip_cfg.ENABLED else None
    opt_type = type(optimizer).__name__.replace('WithGradientClip', '')
    for group in optimizer.param_groups:
        for p in group['params']:
            record.optimizer[names[id(p)]] = optimizer_settings(
                group, opt_type, clip)
    return record


def group_hyper(optimizer, names: Dict[int, str]) -> Dict[str, tuple]:
    """``{name: (lr, weight_decay)}`` of every named parameter.

    Args:
        optimizer (torch.optim.Optimizer): Its groups' current values.
        names (dict[int, str]): ``id(parameter)`` -> mmpdl name.
    """
    return {
        names[id(p)]: (float(g['lr']), float(g.get('weight_decay', 0.0)))
        for g in optimizer.param_groups
        for p in g['params'] if id(p) in names
    }


class _MmpdlRecorder(Hook):
    """Seeds dropout, records LRs, losses and the weights of a Runner."""

    priority = 'LOWEST'

    def __init__(self, seeds: Sequence[int], clip_grad):
        self.seeds = list(seeds)
        self.clip_grad = clip_grad
        self.record = TrainingRecord()
        self.names: Dict[int, str] = {}
        self.started = 0.0

    def before_train(self, runner) -> None:
        model = runner.model
        self.names = {
            id(p): n
            for n, p in model.named_parameters() if p.requires_grad
        }
        self.record.initial = detached_state(model)
        optimizer = runner.optim_wrapper.optimizer
        for group in optimizer.param_groups:
            settings = optimizer_settings(group,
                                          type(optimizer).__name__,
                                          self.clip_grad)
            for p in group['params']:
                self.record.optimizer[self.names[id(p)]] = settings
        self.started = time.time()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.record.hyper.append(
            group_hyper(runner.optim_wrapper.optimizer, self.names))
        torch.manual_seed(self.seeds[batch_idx])

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self.record.losses.append({
            k[len('loss_'):]:
            float(torch.as_tensor(v).detach())
            for k, v in outputs.items() if k.startswith('loss_')
        })

    def after_train(self, runner) -> None:
        self.record.seconds = time.time() - self.started
        self.record.final = detached_state(runner.model)


def parity_cfg(cfg, dataset_cfg):
    """``cfg`` training on ``dataset_cfg``, the dataset's metadata filled in
    as ``tools/train.py`` fills it (``fill_dataset_meta``: the losses'
    ignore index, the data preprocessor's ``seg_pad_val``). A row whose class
    count is not the data's (the COCO row's 133 classes on the built-in
    9-class COCO-format set) keeps its count.

    Args:
        cfg (mmengine.Config): An mmpdl config (not changed).
        dataset_cfg (dict): Its training dataset on the parity data.

    Returns:
        mmengine.Config: The changed copy.
    """
    from mmpdl.datasets import config_dataset_meta, fill_dataset_meta
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset = dataset_cfg
    meta = config_dataset_meta(cfg, ('train_dataloader', ))
    head = cfg.model.decode_head
    kept = head.get('num_classes')
    head.num_classes = None
    fill_dataset_meta(cfg, meta, 'the parity data')
    head.num_classes = kept if kept is not None else meta.num_classes
    return cfg


def mmpdl_training_cfg(cfg, iters: int):
    """The parts of ``cfg`` a Runner trains with, for ``iters`` iterations
    of a run of ``cfg.train_cfg.max_iters``.

    Schedulers without an ``end`` get the config's ``max_iters`` (what the
    Runner gives them in the full run), so the LRs of the first ``iters``
    iterations are those of the full schedule.

    Returns:
        dict: ``model`` (backbone ImageNet init removed: the weights come
        from ``load_from``), ``optim_wrapper``, ``param_scheduler``,
        ``train_cfg``.
    """
    cfg = copy.deepcopy(cfg)
    cfg.model.backbone.init_cfg = None
    return dict(
        model=cfg.model,
        optim_wrapper=cfg.optim_wrapper,
        param_scheduler=runner_param_schedulers(cfg),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=iters))


def runner_param_schedulers(cfg) -> List[dict]:
    """``cfg.param_scheduler`` as the Runner builds it for the config's
    run: a list, an absent ``end`` set to ``train_cfg.max_iters``."""
    schedulers = cfg.param_scheduler
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    schedulers = [dict(copy.deepcopy(s)) for s in schedulers]
    for scheduler in schedulers:
        scheduler.setdefault('end', cfg.train_cfg.max_iters)
    return schedulers


def train_mmpdl(cfg, checkpoint: str, samples: Sequence[dict], batch_size: int,
                seeds: Sequence[int], work_dir: str) -> TrainingRecord:
    """Train the model of ``cfg`` with mmengine's Runner on ``samples``.

    Args:
        cfg (mmengine.Config): An mmpdl config (``model``, ``optim_wrapper``,
            ``param_scheduler``, ``train_cfg``); SyncBN becomes BN (the
            Runner's single-process rule).
        checkpoint (str): The converted initial weights (``load_from``).
        samples (Sequence[dict]): Packed samples (``inputs``: (3, H, W)
            image, ``data_samples``: a ``PanopticDataSample`` with the
            targets), ``batch_size`` per iteration, in order.
        batch_size (int): Images per iteration.
        seeds (Sequence[int]): The torch seed set before each iteration.
        work_dir (str): The Runner's work dir.

    Returns:
        TrainingRecord: Of ``len(samples) // batch_size`` iterations.
    """
    from mmengine.runner import Runner
    iters = len(samples) // batch_size
    parts = mmpdl_training_cfg(cfg, iters)
    clip = cfg.optim_wrapper.get('clip_grad')
    recorder = _MmpdlRecorder(seeds, None if clip is None else str(clip))
    runner = Runner(
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=list(samples),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=batch_size,
            num_workers=0,
            collate_fn=dict(type='pseudo_collate')),
        default_hooks=dict(
            param_scheduler=dict(type='ParamSchedulerHook'),
            logger=None,
            checkpoint=None),
        custom_hooks=[recorder],
        load_from=checkpoint,
        default_scope='mmpdl',
        log_level='WARNING',
        **parts)
    runner.train()
    return recorder.record


def _rel(diff: float, scale: float) -> float:
    return diff / scale if scale > 0 else (0.0 if diff == 0 else float('inf'))


def compare_losses(ref: TrainingRecord, ours: TrainingRecord) -> float:
    """Largest relative difference of a loss term over all iterations."""
    if len(ref.losses) != len(ours.losses):
        return float('inf')
    worst = 0.0
    for a, b in zip(ref.losses, ours.losses):
        if set(a) != set(b):
            return float('inf')
        for key in a:
            worst = max(worst, _rel(abs(a[key] - b[key]), abs(a[key])))
    return worst


def compare_hyper(ref: TrainingRecord, ours: TrainingRecord) -> tuple:
    """(largest relative LR difference, largest weight-decay difference,
    whether every parameter has the same optimizer settings) over all
    iterations and parameters."""
    same_settings = ref.optimizer == ours.optimizer
    if len(ref.hyper) != len(ours.hyper):
        return float('inf'), float('inf'), same_settings
    lr_diff = wd_diff = 0.0
    for a, b in zip(ref.hyper, ours.hyper):
        if set(a) != set(b):
            return float('inf'), float('inf'), same_settings
        for name, (lr, wd) in a.items():
            lr_diff = max(lr_diff, _rel(abs(lr - b[name][0]), abs(lr)))
            wd_diff = max(wd_diff, abs(wd - b[name][1]))
    return lr_diff, wd_diff, same_settings


def compare_states(ref: TrainingRecord, ours: TrainingRecord,
                   trainable: Sequence[str]) -> dict:
    """Differences of the final parameters and BN buffers.

    Relative differences are per tensor: ``max|a - b| / max|a|``.

    Returns:
        dict: ``param_abs``, ``param_rel``, ``buffer_abs``, ``buffer_rel``
        (running mean/var), ``counters_equal`` (``num_batches_tracked``),
        ``moved`` (largest change of a parameter during training, reference
        side) and ``missing`` (keys one side lacks).
    """
    out = dict(
        param_abs=0.0,
        param_rel=0.0,
        buffer_abs=0.0,
        buffer_rel=0.0,
        counters_equal=True,
        moved=0.0,
        missing=sorted(set(ref.final) ^ set(ours.final)))
    for key in set(ref.final) & set(ours.final):
        a, b = ref.final[key], ours.final[key]
        if key.endswith('num_batches_tracked'):
            out['counters_equal'] &= bool(torch.equal(a, b))
            continue
        a, b = a.double(), b.double()
        diff = (a - b).abs().max().item() if a.numel() else 0.0
        rel = _rel(diff, a.abs().max().item() if a.numel() else 0.0)
        kind = 'param' if key in trainable else (
            'buffer' if key.endswith(BN_BUFFERS) else None)
        if kind is None:
            continue
        out[kind + '_abs'] = max(out[kind + '_abs'], diff)
        out[kind + '_rel'] = max(out[kind + '_rel'], rel)
        if kind == 'param' and key in ref.initial:
            out['moved'] = max(out['moved'],
                               (a -
                                ref.initial[key].double()).abs().max().item())
    return out


def compare_records(ref: TrainingRecord, ours: TrainingRecord, **row) -> dict:
    """One line of the parity table.

    Args:
        ref (TrainingRecord): The reference's run (mmpdl names).
        ours (TrainingRecord): mmpdl's run.
        **row: Printed as given (``row``, ``reference``, ``iters``,
            ``crop``, ``batch``, ``inputs``).

    Returns:
        dict: ``row`` plus ``loss_rel``, ``lr_rel``, ``wd_abs``,
        ``same_optimizer``, ``same_initial``, the entries of
        :func:`compare_states`, ``seconds`` and ``passed``.
    """
    lr_rel, wd_abs, same_settings = compare_hyper(ref, ours)
    trainable = set(ours.optimizer)
    result = dict(row)
    result.update(
        loss_rel=compare_losses(ref, ours),
        lr_rel=lr_rel,
        wd_abs=wd_abs,
        same_optimizer=same_settings,
        same_initial=all(
            torch.equal(v, ours.initial.get(k, v + 1))
            for k, v in ref.initial.items()),
        seconds=ref.seconds + ours.seconds,
        **compare_states(ref, ours, trainable))
    result['passed'] = bool(result['loss_rel'] <= TOLERANCE
                            and result['param_rel'] <= TOLERANCE
                            and result['buffer_rel'] <= TOLERANCE
                            and result['lr_rel'] <= LR_TOLERANCE
                            and result['wd_abs'] == 0 and same_settings
                            and result['same_initial']
                            and result['counters_equal']
                            and not result['missing'] and result['moved'] > 0)
    return result


def print_table(lines: Sequence[dict],
                out: Callable[[str], None] = print) -> None:
    """Print the parity table (markdown) of :func:`compare_records` lines.
    """
    out('| row | reference | iterations | crop | batch | inputs | max rel '
        'loss diff | max rel LR diff | max abs / rel parameter diff | max '
        'rel BN-buffer diff | parameters moved (max abs) | verdict | s |')
    out('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for r in lines:
        crop = 'x'.join(str(v) for v in r['crop'])
        verdict = 'PASS' if r['passed'] else 'FAIL'
        out(f"| {r['row']} | {r['reference']} | {r['iters']} | {crop} | "
            f"{r['batch']} | {r['inputs']} | {r['loss_rel']:.1e} | "
            f"{r['lr_rel']:.1e} | {r['param_abs']:.1e} / "
            f"{r['param_rel']:.1e} | {r['buffer_rel']:.1e} | "
            f"{r['moved']:.1e} | {verdict} | {r['seconds']:.0f} |")


def names_by_identity(reference_state: Dict[str, torch.Tensor],
                      converted: Dict[str, torch.Tensor]) -> Dict[int, str]:
    """``{id(reference parameter): mmpdl name}``.

    Args:
        reference_state (dict[str, Tensor]): The reference model's
            ``state_dict(keep_vars=True)`` (its parameter objects).
        converted (dict[str, Tensor]): The converter's result on it, which
            keeps the tensor objects.
    """
    known = {id(v) for v in reference_state.values()}
    return {id(v): k for k, v in converted.items() if id(v) in known}


def save_initial_weights(converted: Dict[str, torch.Tensor],
                         path: str) -> Dict[str, torch.Tensor]:
    """Write the converted initial weights as an mmpdl checkpoint (what
    ``load_from`` reads); returns the saved copies."""
    state = {k: v.detach().clone() for k, v in converted.items()}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return state


def dropout_seeds(seed: int, iters: int) -> List[int]:
    """The torch seed set before each iteration's forward (both sides)."""
    return [seed * 1000 + 1 + t for t in range(iters)]


def train_both(reference, convert: Callable[[dict], dict], cfg,
               make_batches: Callable[[], tuple], args, row: str,
               reference_name: str, crop: Sequence[int],
               work_dir: str) -> dict:
    """One row of a verify script: the reference's initial weights,
    converted, become mmpdl's ``load_from``; both train ``args.iters``
    iterations of ``args.batch`` images on the same batches and dropout
    seeds; the table line of :func:`compare_records` (failed as well when
    the two sides' inputs differ).

    Args:
        reference: A reference adapter (``state_for_conversion()``,
            ``train(batches, seeds, names, convert)``).
        convert (callable): Reference state dict -> mmpdl state dict,
            keeping the tensor objects.
        cfg (Config): mmpdl's parity config (:func:`parity_cfg`).
        make_batches (callable): ``() -> (reference batches, mmpdl samples,
            (identical, text))``.
        args: ``iters``, ``batch`` and ``seed``.
        row (str): Row name (also names the files in ``work_dir``).
        reference_name (str): The table's reference column.
        crop (tuple[int]): Training crop, for the table.
        work_dir (str): Folder of the checkpoint and mmpdl's run.
    """
    import os.path as osp
    state = reference.state_for_conversion()
    converted = convert(state)
    names = names_by_identity(state, converted)
    checkpoint = osp.join(work_dir, row + '_init.pth')
    save_initial_weights(converted, checkpoint)
    batches, samples, (identical, text) = make_batches()
    seeds = dropout_seeds(args.seed, args.iters)
    ref_record = reference.train(batches, seeds, names, convert)
    ours = train_mmpdl(cfg, checkpoint, samples, args.batch, seeds,
                       osp.join(work_dir, row))
    line = compare_records(
        ref_record,
        ours,
        row=row,
        reference=reference_name,
        iters=args.iters,
        crop=tuple(crop),
        batch=args.batch,
        inputs=text)
    line['passed'] &= identical
    return line


def report(lines: Sequence[dict]) -> int:
    """Print the table of all rows and PASS / FAIL; the exit status."""
    print_table(lines)
    ok = all(line['passed'] for line in lines)
    print('PASS' if ok else 'FAIL')
    return 0 if ok else 1
