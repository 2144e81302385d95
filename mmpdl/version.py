"""Version of mmpdl."""
__version__ = '0.1.0'


def parse_version_info(version_str):
    """Turn ``'0.1.0'`` into ``(0, 1, 0)``; a suffix such as ``rc1`` is kept
    as a last string element."""
    info = []
    for part in version_str.split('.'):
        if part.isdigit():
            info.append(int(part))
        else:
            digits = ''.join(c for c in part if c.isdigit())
            info.append(int(digits) if digits else 0)
            info.append(part[len(digits):])
    return tuple(info)


version_info = parse_version_info(__version__)
