"""Start localstripe (the Stripe-compatible test server) with a store private to this process.

localstripe keeps its objects in one pickle file, always the same path in /tmp: it rewrites that
file on every change and loads it at start unless told `--from-scratch`, so two test runs on one
machine would share (and overwrite) each other's payments. This starts it from scratch and keeps its
objects in this process's memory only: the shared file is neither read nor written.

    python scripts/localstripe_private.py --port 8420
"""

import argparse
import sys

from localstripe import resources, server


def keep_store_in_memory() -> None:
    """localstripe's store no longer writes itself to the shared file after each change."""
    resources.Store.dump_to_disk = lambda self: None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    keep_store_in_memory()
    sys.argv = [sys.argv[0], "--port", str(args.port), "--from-scratch"]
    server.start()


if __name__ == "__main__":
    main()
