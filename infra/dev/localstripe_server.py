"""Run localstripe bound to 127.0.0.1, with its state kept in memory only.

localstripe's own CLI listens on every interface and pickles its store to /tmp after each write;
neither is acceptable on a shared machine. localstripe is GPL-3.0: a dev/test tool started as a
separate process, never imported by product code.
"""

import argparse
import logging

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    logging.basicConfig(level=logging.INFO)
    web.run_app(server.app, host="127.0.0.1", port=options.port, print=None)


if __name__ == "__main__":
    main()
