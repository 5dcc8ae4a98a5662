"""Python websockets server for a wsx client: serves one connection on 127.0.0.1, then exits.

usage: server.py [--protocols b] [--cert FILE --key FILE] [--compression deflate|none]
Reports {"event": "listening", "port": N} first.
"""

import argparse
import asyncio
import ssl

import websockets

from peer import DEADLINE, MAX_SIZE, converse, report


async def main(args):
    context = None
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
    done = asyncio.get_running_loop().create_future()

    async def handler(ws):
        report(
            "request",
            path=ws.path,
            extensions=ws.request_headers.get("Sec-WebSocket-Extensions"),
            protocols=ws.request_headers.get("Sec-WebSocket-Protocol"),
        )
        try:
            await converse(ws)
        finally:
            if not done.done():
                done.set_result(None)

    async with websockets.serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=args.protocols.split(",") if args.protocols else None,
        # "deflate": websockets' defaults (context takeover both ways, 15-bit windows unless the
        # client asks for less).
        compression=None if args.compression == "none" else "deflate",
        ssl=context,
        max_size=MAX_SIZE,
        close_timeout=5,
    ) as server:
        report("listening", port=server.sockets[0].getsockname()[1])
        await done


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--protocols", default="")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--compression", choices=["deflate", "none"], default="none")
    try:
        asyncio.run(asyncio.wait_for(main(parser.parse_args()), DEADLINE))
    except Exception as error:
        report("error", error=f"{type(error).__name__}: {error}")
        raise SystemExit(1)
