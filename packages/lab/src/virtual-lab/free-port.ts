import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port nobody uses right now on 127.0.0.1, for UDP (BMCs) or TCP
 * (consoles). ipmi_sim binds with address reuse, so two simulators on one
 * port would both start silently: checking first is the only guard.
 */
export async function freePort(protocol: 'udp' | 'tcp', avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = protocol === 'tcp' ? await tcpPort() : await udpPort();
    if (!avoid.has(port)) return port;
  }
  throw new Error(`no free ${protocol} port found`);
}

function tcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function udpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const port = socket.address().port;
      socket.close(() => resolve(port));
    });
  });
}

/** True when something already listens on the UDP port (bind without reuse fails). */
export function udpPortBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', () => resolve(true));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(false)));
  });
}
