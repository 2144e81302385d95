"""Install mmpdl: ``pip install -e .`` (add ``[tests]`` for the test tools)."""
import os.path as osp
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version():
    """Read ``__version__`` from mmpdl/version.py without importing mmpdl."""
    scope = {}
    with open(osp.join(HERE, 'mmpdl', 'version.py')) as f:
        exec(compile(f.read(), 'mmpdl/version.py', 'exec'), scope)
    return scope['__version__']


def full_mmcv_installed():
    """True when a full mmcv (with compiled ops) is already installed.

    mmcv and mmcv-lite both install the ``mmcv`` package, so requiring
    mmcv-lite next to a user's full mmcv would overwrite it.
    """
    try:
        from importlib.metadata import PackageNotFoundError, version
        version('mmcv')
        return True
    except (ImportError, PackageNotFoundError):
        return False


def parse_requirements(name):
    """Return the requirement lines of ``requirements/<name>.txt``."""
    reqs = []
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if not line:
                continue
            if line.startswith('mmcv-lite') and full_mmcv_installed():
                continue
            reqs.append(line)
    return reqs


if __name__ == '__main__':
    setup(
        name='mmpdl',
        version=get_version(),
        description='Panoptic-DeepLab as an OpenMMLab codebase',
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        keywords='computer vision, panoptic segmentation',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        python_requires='>=3.9',
        license='Apache License 2.0',
        install_requires=parse_requirements('runtime'),
        extras_require={
            'tests': parse_requirements('tests'),
            'optional': parse_requirements('optional'),
            'all':
            parse_requirements('tests') + parse_requirements('optional'),
        },
        zip_safe=False)
