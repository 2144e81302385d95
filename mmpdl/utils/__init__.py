"""Utilities: compatibility fixes, scope registration, checkpoint I/O."""
from .atomic_io import (AtomicLocalBackend, atomic_write_bytes,
                        find_resumable_checkpoint, is_complete_checkpoint,
                        remove_stale_temp_files)
from .compat import (allow_checkpoint_globals, apply_compat,
                     checkpoint_safe_globals, install_mmcv_ops_shim)
from .config import load_config
from .dist import replace_syncbn, setup_cpu_distributed
from .set_env import register_all_modules

__all__ = [
    'AtomicLocalBackend', 'allow_checkpoint_globals', 'apply_compat',
    'atomic_write_bytes', 'checkpoint_safe_globals',
    'find_resumable_checkpoint', 'install_mmcv_ops_shim',
    'is_complete_checkpoint', 'load_config', 'register_all_modules',
    'remove_stale_temp_files', 'replace_syncbn', 'setup_cpu_distributed'
]
