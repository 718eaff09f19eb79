"""Start the csobot browser chat (`make run`). Same as `csobot serve`."""

from __future__ import annotations

import argparse
import sys

from csobot.errors import CsobotError
from csobot.web import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the csobot browser chat.")
    parser.add_argument("--host", help="interface to listen on (default: $GRADIO_SERVER_NAME, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT, else 7860)")
    parser.add_argument("--corpus", default="corpus", help="folder of .txt/.md files (default: corpus)")
    parser.add_argument("--index", default="index", help="index folder (default: index)")
    parser.add_argument("--model", help="embedding model (default: $CSOBOT_MODEL, else the packaged one)")
    args = parser.parse_args()
    try:
        serve(corpus=args.corpus, index=args.index, host=args.host, port=args.port, model=args.model)
    except CsobotError as exc:
        print(f"csobot: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
