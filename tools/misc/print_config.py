"""Print the whole config (with inherited ``_base_`` files resolved).

Example::

    python tools/misc/print_config.py configs/_base_/default_runtime.py
"""
import argparse

from mmengine import DictAction


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args(argv)


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    from mmpdl.utils import load_config
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')


if __name__ == '__main__':
    main()
