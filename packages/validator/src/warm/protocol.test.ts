import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '@swe-forge/testkit';
import { LineChannel } from './protocol.js';

describe('LineChannel', () => {
  let server: Server | null = null;
  afterEach(() => server?.close());
  const pair = async (): Promise<{ channel: LineChannel; peer: Socket }> => {
    const path = join(tempDir('swe-forge-warm-proto-'), 's');
    let peer: Socket | null = null;
    server = createServer((s) => (peer = s));
    await new Promise<void>((r) => server!.listen(path, () => r()));
    const sock = createConnection({ path });
    await new Promise<void>((r) => sock.once('connect', () => r()));
    while (!peer) await new Promise((r) => setTimeout(r, 5));
    return { channel: new LineChannel(sock), peer };
  };

  it('reads one JSON message per line, across chunk boundaries, and queues early ones', async () => {
    const { channel, peer } = await pair();
    peer.write('{"op":"ready","pid":1');
    peer.write(',"collected":3}\n{"op":"result","id":1}\n');
    expect(await channel.next(2000)).toMatchObject({ op: 'ready', pid: 1, collected: 3 });
    expect(await channel.next(2000)).toMatchObject({ op: 'result', id: 1 });
    channel.close();
  });

  it('rejects a read when the worker goes silent or away', async () => {
    const { channel, peer } = await pair();
    await expect(channel.next(100)).rejects.toThrow(/no answer from the warm worker within/);
    const pending = channel.next(5000);
    peer.destroy();
    await expect(pending).rejects.toThrow(/closed its connection/);
    expect(channel.closed).toBe(true);
    expect(() => channel.send({ op: 'quit' })).toThrow(/closed/);
  });
});
