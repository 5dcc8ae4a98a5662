"""Python websockets client against a wsx server.

usage: client.py URL [--protocols a,b] [--ca FILE] [--compression deflate|none]
"""

import argparse
import asyncio
import ssl

import websockets

from peer import DEADLINE, MAX_SIZE, converse, report


async def main(args):
    context = None
    if args.url.startswith("wss:"):
        context = ssl.create_default_context(cafile=args.ca)
    async with websockets.connect(
        args.url,
        subprotocols=args.protocols.split(",") if args.protocols else None,
        compression=None if args.compression == "none" else "deflate",
        ssl=context,
        max_size=MAX_SIZE,
        open_timeout=5,
        close_timeout=5,
    ) as ws:
        await converse(ws)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--protocols", default="")
    parser.add_argument("--ca")
    parser.add_argument("--compression", choices=["deflate", "none"], default="none")
    try:
        asyncio.run(asyncio.wait_for(main(parser.parse_args()), DEADLINE))
    except Exception as error:  # reported, so the test shows why; the exit status says it too
        report("error", error=f"{type(error).__name__}: {error}")
        raise SystemExit(1)
