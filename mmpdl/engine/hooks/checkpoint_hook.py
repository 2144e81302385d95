"""``PanopticCheckpointHook``: mmengine's ``CheckpointHook`` without the
``FileClient`` deprecation warning at the start of every training."""
from contextlib import contextmanager

from mmengine.hooks import CheckpointHook
from mmengine.hooks import checkpoint_hook as mmengine_checkpoint_hook

from mmpdl.registry import HOOKS


class _NoFileClient:
    """Stands in for mmengine's deprecated ``FileClient`` while the hook is
    set up: with ``file_client_args=None`` the client it would build is
    never used (``backend_args`` choose the file backend)."""

    @staticmethod
    def infer_client(file_client_args=None, uri=None):
        return None


@contextmanager
def _without_file_client():
    original = mmengine_checkpoint_hook.FileClient
    mmengine_checkpoint_hook.FileClient = _NoFileClient
    try:
        yield
    finally:
        mmengine_checkpoint_hook.FileClient = original


@HOOKS.register_module()
class PanopticCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments and behaviour) that does
    not build the deprecated ``FileClient`` unless ``file_client_args`` is
    given, so training starts without its deprecation warning."""

    def before_train(self, runner) -> None:
        """Set up the output folder, best-checkpoint and kept-ids state."""
        if self.file_client_args is not None:
            super().before_train(runner)
            return
        with _without_file_client():
            super().before_train(runner)
        self.file_client = None
