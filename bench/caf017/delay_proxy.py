# TCP relay 127.0.0.1:<listen> -> 127.0.0.1:<target> adding a one-way delay
# (seconds) to every chunk in both directions. Prints its port. Bounded life.
import asyncio, sys
target, delay, life = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
async def pump(r, w):
    try:
        while True:
            data = await r.read(65536)
            if not data:
                break
            await asyncio.sleep(delay)
            w.write(data)
            await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def handle(r, w):
    tr, tw = await asyncio.open_connection('127.0.0.1', target)
    asyncio.create_task(pump(r, tw)); asyncio.create_task(pump(tr, w))
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(life)
asyncio.run(main())
