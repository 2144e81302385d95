"""``PanopticCheckpointHook``: mmengine's ``CheckpointHook`` that never
deletes a checkpoint before its successor is complete, whose checkpoints
resume bit for bit, and that runs without the ``FileClient`` deprecation
warning."""
import contextlib
import logging
import os
import os.path as osp
import re

from mmengine.dist import all_gather_object, get_dist_info, is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.hooks import checkpoint_hook as mmengine_checkpoint_hook
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint

from mmpdl.registry import HOOKS
from mmpdl.utils.atomic_io import atomic_write_bytes
from mmpdl.utils.random_state import capture_random_state, restore_random_state
from mmpdl.utils.safe_paths import check_inside

RANDOM_STATES_KEY = 'random_states'
#: panoptic metrics that are better when greater (also matched inside
#: longer keys such as ``panoptic/PQ_th``), for ``rule=None``
PANOPTIC_GREATER_KEYS = ('PQ', 'SQ', 'RQ')


def resolve_metric_key(name: str, metric_keys) -> str:
    """The reported metric key that a ``save_best`` entry stands for.

    A key that is reported as given is used as it is; a bare name without
    ``/`` (``'PQ'``) stands for the one reported key ``<prefix>/<name>``
    (``'panoptic/PQ'``, ``'cityscapes_panoptic/PQ'``), whatever the
    evaluator's prefix.

    Args:
        name (str): A ``save_best`` entry, e.g. ``'PQ'`` or
            ``'panoptic/PQ'``.
        metric_keys (Iterable[str]): The keys of one evaluation's metrics.

    Returns:
        str: The full key.

    Raises:
        ValueError: No reported key, or several, match ``name``; the
            message lists the reported keys and says what to give.
    """
    keys = list(metric_keys)
    if name in keys:
        return name
    matches = [] if '/' in name else [
        key for key in keys if key.rsplit('/', 1)[-1] == name
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValueError(
            f'save_best={name!r} matches {len(matches)} reported metrics '
            f'{matches}; give one of them in full, e.g. '
            f'default_hooks.checkpoint.save_best={matches[0]!r}')
    raise ValueError(
        f'save_best={name!r} is not a reported metric; the evaluators '
        f'report {keys}. Give one of these keys, or a bare name (e.g. '
        "'PQ') that exactly one of them ends with after its '/'.")


def _resumed_from(runner) -> str:
    """The checkpoint a run resumed from, to name it in errors."""
    return f'checkpoint {runner._load_from}' if getattr(
        runner, '_load_from', None) else 'the resumed checkpoint'


class _RestoreAfterSkip:
    """Stands in for an iteration-based loop's ``dataloader_iterator``: lets
    the loop skip ``skip`` already trained batches, then restores the random
    state before the first new batch is drawn and puts the real iterator
    back."""

    def __init__(self, loop, state, skip):
        self._loop, self._state, self._skip = loop, state, skip
        self._inner = loop.dataloader_iterator

    def __iter__(self):
        return self

    def __next__(self):
        if self._skip > 0:
            self._skip -= 1
        else:
            restore_random_state(self._state)
            self._loop.dataloader_iterator = self._inner
        return next(self._inner)

    def __getattr__(self, name):
        return getattr(self._inner, name)


class _NoFileClient:
    """Stands in for mmengine's deprecated ``FileClient`` while it would be
    built only to be dropped."""

    @staticmethod
    def infer_client(file_client_args=None, uri=None):
        return None


# Both build a FileClient they do not use when ``file_client_args`` is None
# (``backend_args`` choose the file backend), and its constructor warns.
_BUILDS_UNUSED_FILE_CLIENT = (mmengine_checkpoint_hook, mmengine_checkpoint)


@contextlib.contextmanager
def _without_file_client():
    originals = [module.FileClient for module in _BUILDS_UNUSED_FILE_CLIENT]
    for module in _BUILDS_UNUSED_FILE_CLIENT:
        module.FileClient = _NoFileClient
    try:
        yield
    finally:
        for module, original in zip(_BUILDS_UNUSED_FILE_CLIENT, originals):
            module.FileClient = original


class _DeferredRemovals:
    """A file backend proxy that records ``remove``/``rmtree`` calls instead
    of running them; everything else goes to the wrapped backend."""

    def __init__(self, backend):
        self._backend = backend
        self.paths = []

    def remove(self, path):
        self.paths.append(path)

    def rmtree(self, path):
        self.paths.append(path)

    def __getattr__(self, name):
        return getattr(self._backend, name)


@HOOKS.register_module()
class PanopticCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with a safe order of file operations.

    mmengine removes the checkpoint that falls out of ``max_keep_ckpts``
    (and the previous ``best_*`` one) before it writes the new one, so a
    run killed in between has lost them both. This hook does, in order:

    1. write the new checkpoint atomically (``backend='atomic_local'``
       unless ``backend_args`` says otherwise: temp file, fsync, rename);
    2. point ``<work_dir>/last_checkpoint`` at it, atomically;
    3. only then delete the checkpoints it replaces.

    Unless ``file_client_args`` is given, the deprecated ``FileClient`` is
    not built (so training runs without its deprecation warnings).

    Each checkpoint also holds the random states of every process (Python,
    NumPy, torch CPU and CUDA; in the message hub under ``random_states``).
    On resume they are restored right before the first new batch is drawn,
    after the loop has skipped the batches already trained, so dropout and
    augmentations continue as in an uninterrupted run. Validation leaves
    the random state as it found it, so where a run validates does not
    change its training.

    ``save_best`` may name a metric without its evaluator's prefix:
    ``'PQ'`` stands for the one reported key ending in ``/PQ``
    (``panoptic/PQ`` of ``PanopticQualityMetric``,
    ``cityscapes_panoptic/PQ`` of ``CityscapesPanopticMetric``), resolved
    at the first validation (:func:`resolve_metric_key`); the best
    checkpoint is named after the full key. Full keys work as in mmengine.
    ``PQ``, ``SQ`` and ``RQ`` are better when greater (``rule=None``).

    Arguments are those of ``mmengine.hooks.CheckpointHook``.
    """

    def __init__(self, *args, **kwargs):
        if kwargs.get('backend_args') is None and kwargs.get(
                'file_client_args') is None:
            kwargs['backend_args'] = dict(backend='atomic_local')
        if kwargs.get('greater_keys') is None:
            kwargs['greater_keys'] = list(CheckpointHook._default_greater_keys
                                          ) + list(PANOPTIC_GREATER_KEYS)
        super().__init__(*args, **kwargs)
        self._random_state_pending = True
        self._random_state_before_val = None

    def before_train(self, runner) -> None:
        """As mmengine's, then (in a resumed run) delete the checkpoints a
        killed run left behind: those older than the resumed one that
        ``max_keep_ckpts`` no longer keeps.

        What a resumed checkpoint says of files is checked first: the kept
        checkpoint ids must be integers and every ``best_ckpt*`` path must
        lie in ``out_dir`` (a crafted checkpoint could name any file for
        the first better validation to delete)."""
        self._check_kept_ids(runner)
        with self._quiet():
            super().before_train(runner)
        best = [getattr(self, 'best_ckpt_path', None)] + list(
            getattr(self, 'best_ckpt_path_dict', {}).values())
        for path in best:
            if path is not None:
                self._check_own_file(runner, path, 'best_ckpt')
        if self.file_client_args is None:
            self.file_client = None
        # a resumed run's kept ids come from its checkpoint; a new run has none
        resumed = self.max_keep_ckpts > 0 and bool(self.keep_ckpt_ids)
        if not resumed or not isinstance(self.file_backend, LocalBackend):
            return
        head, tail = self.filename_tmpl.split('{}')
        pattern = re.compile(re.escape(head) + r'(\d+)' + re.escape(tail))
        for name in sorted(os.listdir(self.out_dir)):
            match = pattern.fullmatch(name)
            if not match:
                continue
            step = int(match.group(1))
            if step < max(
                    self.keep_ckpt_ids, default=0) and (
                        step not in self.keep_ckpt_ids) and is_main_process():
                self._remove(osp.join(self.out_dir, name))
                runner.logger.info(f'removed {name}: a checkpoint older than '
                                   f'max_keep_ckpts={self.max_keep_ckpts} '
                                   'keeps, left by an interrupted run')

    def before_val(self, runner) -> None:
        """Remember the random state: validation must not change it."""
        self._random_state_before_val = capture_random_state()

    def after_val(self, runner) -> None:
        """Training continues with the random state it had before
        validation, so a run validated at other iterations (or resumed
        where the original validated) draws the same numbers."""
        if self._random_state_before_val is not None:
            restore_random_state(self._random_state_before_val)
            self._random_state_before_val = None

    def before_train_epoch(self, runner) -> None:
        """On the first epoch of a resumed run, restore the random state
        saved with the checkpoint (see the class docstring)."""
        if not self._random_state_pending:
            return
        self._random_state_pending = False
        states = runner.message_hub.runtime_info.get(RANDOM_STATES_KEY)
        if not states or runner.iter == 0:
            return
        rank, world_size = get_dist_info()
        if len(states) != world_size:
            print_log(
                f'the checkpoint holds random states of {len(states)} '
                f'processes, this run has {world_size}: they are not '
                'restored and the run will not repeat the original one',
                level=logging.WARNING)
            return
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):  # iteration-based loop
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop, states[rank], runner.iter)
        else:
            restore_random_state(states[rank])

    def _quiet(self):
        """No ``FileClient`` (and no deprecation warning) is built inside
        this context unless ``file_client_args`` asks for one."""
        if self.file_client_args is None:
            return _without_file_client()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _removals_after_saving(self):
        """Collect the deletions made inside the block; run them after it
        completed (not at all when it raised)."""
        backend = self.file_backend
        proxy = _DeferredRemovals(backend)
        self.file_backend = proxy
        try:
            yield
        finally:
            self.file_backend = backend
        for path in proxy.paths:
            self._remove(path)

    def _check_kept_ids(self, runner) -> None:
        """Raise unless the message hub's ``keep_ckpt_ids`` (from a resumed
        checkpoint) are iteration numbers: they name files to delete."""
        ids = runner.message_hub.runtime_info.get('keep_ckpt_ids', [])
        if not isinstance(ids, (list, tuple)) or not all(
                isinstance(i, int) and not isinstance(i, bool) and i >= 0
                for i in ids):
            raise ValueError(
                f'{_resumed_from(runner)}: runtime_info[\'keep_ckpt_ids\'] '
                f'= {ids!r} is not a list of iteration numbers; refusing to '
                'resume from it (it names checkpoints to delete)')

    def _check_own_file(self, runner, path, key: str) -> None:
        """Raise unless ``path`` lies in this hook's ``out_dir``."""
        if isinstance(self.file_backend, LocalBackend):
            check_inside(path, self.out_dir, _resumed_from(runner),
                         f'runtime_info[{key!r}]')

    def _remove(self, path):
        """Delete a checkpoint file (or deepspeed folder) of ``out_dir``;
        anything outside it is refused, whoever named it."""
        if isinstance(self.file_backend, LocalBackend):
            check_inside(path, self.out_dir, 'the checkpoint hook',
                         'a checkpoint to delete')
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed's checkpoints
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        """Save ``iter_{step}``/``epoch_{step}``, update ``last_checkpoint``,
        then delete the checkpoint that ``max_keep_ckpts`` drops."""
        state = self._random_state_before_val or capture_random_state()
        runner.message_hub.update_info(RANDOM_STATES_KEY,
                                       all_gather_object(state))
        expired = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                expired = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            # saved inside the new checkpoint: a resumed run knows which
            # files are its own to delete later
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        with self._quiet():
            runner.save_checkpoint(
                self.out_dir,
                filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return
        atomic_write_bytes(
            str(self.last_ckpt).encode(),
            osp.join(runner.work_dir, 'last_checkpoint'))
        if expired is not None and expired != step:
            self._remove(
                self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(expired)))

    def _resolve_key_indicators(self, runner, metrics: dict) -> None:
        """Replace bare ``save_best`` names by the reported keys they stand
        for (:func:`resolve_metric_key`); with several indicators, take
        their best checkpoints from the message hub under the full keys
        (a resumed run's, saved under those keys)."""
        if not self.save_best or 'auto' in self.key_indicators:
            return
        resolved = [
            resolve_metric_key(key, metrics) for key in self.key_indicators
        ]
        if resolved == self.key_indicators:
            return
        self._init_rule(self.rules, resolved)
        if len(resolved) > 1:
            self.best_ckpt_path_dict = {
                key: runner.message_hub.get_info(f'best_ckpt_{key}')
                for key in resolved
            }

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """As mmengine's, with bare metric names resolved, and the previous
        best checkpoint deleted only after the new best one (and the
        resumable one) are written."""
        if metrics:
            self._resolve_key_indicators(runner, metrics)
        with self._removals_after_saving(), self._quiet():
            super()._save_best_checkpoint(runner, metrics)
