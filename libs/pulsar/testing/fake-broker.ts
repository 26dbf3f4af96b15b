// A scripted broker for unit tests of the connection layer: it speaks frames with our own
// codec and lets each test decide how to answer every command.
import * as net from 'node:net';
import { CommandType, type BaseCommand } from '../protocol/commands.ts';
import { FrameDecoder, decodeFrame, encodeCommand } from '../protocol/frame.ts';

export type Responder = (
  cmd: BaseCommand,
  reply: (cmd: BaseCommand) => void,
  socket: net.Socket,
) => void;

export class FakeBroker {
  readonly received: BaseCommand[] = [];
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  url = '';

  constructor(private respond: Responder) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const decoder = new FrameDecoder();
      socket.on('data', (chunk) => {
        for (const raw of decoder.push(chunk)) {
          const cmd = decodeFrame(raw).command;
          this.received.push(cmd);
          this.respond(cmd, (out) => socket.write(encodeCommand(out)), socket);
        }
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as net.AddressInfo;
    this.url = `pulsar://127.0.0.1:${address.port}`;
    return this;
  }

  setResponder(respond: Responder): void {
    this.respond = respond;
  }

  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers CONNECT like a broker; everything else is left to `rest`. */
export function connectThen(rest: Responder = () => undefined): Responder {
  return (cmd, reply, socket) => {
    if (cmd.type === CommandType.CONNECT) {
      reply({
        type: CommandType.CONNECTED,
        connected: { server_version: 'fake', protocol_version: 20, max_message_size: 1024 * 1024 },
      });
      return;
    }
    rest(cmd, reply, socket);
  };
}
