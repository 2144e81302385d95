"""A CheckpointHook that never deletes a checkpoint before its successor
is complete."""
import contextlib
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmpdl.registry import HOOKS
from mmpdl.utils.atomic_io import atomic_write_bytes


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
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with a safe order of file operations.

    mmengine removes the checkpoint that falls out of ``max_keep_ckpts``
    (and the previous ``best_*`` one) before it writes the new one, so a
    run killed in between has lost them both. This hook does, in order:

    1. write the new checkpoint atomically (``backend='atomic_local'``
       unless ``backend_args`` says otherwise: temp file, fsync, rename);
    2. point ``<work_dir>/last_checkpoint`` at it, atomically;
    3. only then delete the checkpoints it replaces.

    Arguments are those of ``mmengine.hooks.CheckpointHook``.
    """

    def __init__(self, *args, **kwargs):
        if kwargs.get('backend_args') is None and kwargs.get(
                'file_client_args') is None:
            kwargs['backend_args'] = dict(backend='atomic_local')
        super().__init__(*args, **kwargs)

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

    def _remove(self, path):
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed's checkpoints
            self.file_backend.rmtree(path)

    def _save_checkpoint_with_step(self, runner, step, meta):
        """Save ``iter_{step}``/``epoch_{step}``, update ``last_checkpoint``,
        then delete the checkpoint that ``max_keep_ckpts`` drops."""
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

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """As mmengine's, but the previous best checkpoint is deleted only
        after the new best one (and the resumable one) are written."""
        with self._removals_after_saving():
            super()._save_best_checkpoint(runner, metrics)
