"""Register every mmpdl module and make ``mmpdl`` the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import all mmpdl (and mmseg) modules so that their registries are
    filled, and optionally set ``mmpdl`` as mmengine's default scope.

    Args:
        init_default_scope (bool): Set the default scope to ``'mmpdl'``.
            When another scope is current, a new uniquely named ``mmpdl``
            scope instance is created. Defaults to True.
    """
    import mmseg.utils
    import mmseg.visualization  # noqa: F401  (not imported by mmseg)
    mmseg.utils.register_all_modules(init_default_scope=False)
    # not mmpdl.apis (as mmseg): INFERENCERS imports it when asked, and
    # apis itself calls this function
    import mmpdl.datasets  # noqa: F401,F403
    import mmpdl.engine  # noqa: F401,F403
    import mmpdl.evaluation  # noqa: F401,F403
    import mmpdl.models  # noqa: F401,F403
    import mmpdl.structures  # noqa: F401,F403
    import mmpdl.visualization  # noqa: F401,F403
    if not init_default_scope:
        return
    never_created = DefaultScope.get_current_instance() is None \
        or not DefaultScope.check_instance_created('mmpdl')
    if never_created:
        DefaultScope.get_instance('mmpdl', scope_name='mmpdl')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmpdl':
        warnings.warn('The current default scope '
                      f'"{current_scope.scope_name}" is not "mmpdl", '
                      '`register_all_modules` will force the current '
                      'default scope to be "mmpdl".')
        new_instance_name = f'mmpdl-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmpdl')
