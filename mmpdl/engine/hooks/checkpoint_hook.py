"""``PanopticCheckpointHook``: mmengine's ``CheckpointHook`` without the
``FileClient`` deprecation warnings of its set-up and first save."""
from contextlib import contextmanager

from mmengine.hooks import CheckpointHook
from mmengine.hooks import checkpoint_hook as mmengine_checkpoint_hook
from mmengine.runner import checkpoint as mmengine_checkpoint

from mmpdl.registry import HOOKS

# Both build a FileClient they do not use when ``file_client_args`` is None
# (``backend_args`` choose the file backend), and its constructor warns.
_BUILDS_UNUSED_FILE_CLIENT = (mmengine_checkpoint_hook, mmengine_checkpoint)


class _NoFileClient:
    """Stands in for mmengine's deprecated ``FileClient`` while it would be
    built only to be dropped."""

    @staticmethod
    def infer_client(file_client_args=None, uri=None):
        return None


@contextmanager
def _without_file_client():
    originals = [module.FileClient for module in _BUILDS_UNUSED_FILE_CLIENT]
    for module in _BUILDS_UNUSED_FILE_CLIENT:
        module.FileClient = _NoFileClient
    try:
        yield
    finally:
        for module, original in zip(_BUILDS_UNUSED_FILE_CLIENT, originals):
            module.FileClient = original


@HOOKS.register_module()
class PanopticCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments and behaviour) that does
    not build the deprecated ``FileClient`` unless ``file_client_args`` is
    given, so training runs without its deprecation warnings."""

    def before_train(self, runner) -> None:
        """Set up the output folder, best-checkpoint and kept-ids state."""
        if self.file_client_args is not None:
            super().before_train(runner)
            return
        with _without_file_client():
            super().before_train(runner)
        self.file_client = None

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if self.file_client_args is not None:
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        with _without_file_client():
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if self.file_client_args is not None:
            super()._save_best_checkpoint(runner, metrics)
            return
        with _without_file_client():
            super()._save_best_checkpoint(runner, metrics)
