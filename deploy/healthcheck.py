"""Container health probe: exit 0 when the URL answers, 1 otherwise.

The image is python:3.11-slim, which has no curl; this keeps the health checks dependency-free.
Usage: healthcheck.py [--any-status] URL   (--any-status: any HTTP answer counts, e.g. a 404 on "/")
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    any_status = "--any-status" in argv
    urls = [arg for arg in argv if not arg.startswith("--")]
    if len(urls) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(urls[0], timeout=8) as response:
            return 0 if response.status < 400 else 1
    except urllib.error.HTTPError as error:
        if any_status:
            return 0
        print(f"HTTP {error.code}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"unreachable: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
