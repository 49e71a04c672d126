/**
 * A benchmark's load driver in a worker thread of its own (the fake Discord and the load
 * generator), so that their work does not show up as the bot's event-loop delay: messages each
 * way, each with a `type`.
 *
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import { startTypeScriptWorker } from '../../src/threads/start-worker.ts';
import { FakeDiscord } from '../../test/support/fake-discord.ts';

/** The driver thread, seen from the bot's side. */
export interface DriverThread<To, From extends { type: string }> {
  /** The next message of `type` from the driver; rejects when the thread fails or exits first. */
  next<T extends From['type']>(type: T): Promise<Extract<From, { type: T }>>;
  send(message: To): void;
  terminate(): Promise<void>;
}

/** Starts the module at `entry` (which recognises its role in `workerData`) as the driver. */
export function startDriverThread<To, From extends { type: string }>(entry: URL, workerData: unknown): DriverThread<To, From> {
  const worker = startTypeScriptWorker(entry, { workerData });
  return {
    next(type) {
      return new Promise((resolve, reject) => {
        const onMessage = (message: From) => {
          if (message.type !== type) return;
          cleanup();
          resolve(message as Extract<From, { type: typeof type }>);
        };
        const onError = (error: Error) => {
          cleanup();
          reject(error);
        };
        const onExit = (code: number) => {
          cleanup();
          reject(new Error(`the load driver thread exited with code ${code}`));
        };
        const cleanup = () => {
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        worker.on('message', onMessage);
        worker.on('error', onError);
        worker.on('exit', onExit);
      });
    },
    send: (message) => worker.postMessage(message),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** What a driver started by {@link serveFakeDiscord} posts to the bot's side. */
export type FakeDiscordDriverMessage<Result> =
  | { type: 'listening'; apiUrl: string; token: string; applicationId: string }
  | { type: 'result'; result: Result }
  | { type: 'stopped' };

/**
 * The driver's side: starts a fake Discord with `guildIds`, says where it listens, runs `drive` on
 * each load message and posts its result, and stops the fake on `{ type: 'stop' }`.
 */
export async function serveFakeDiscord<Load extends { type: string }, Result>(
  guildIds: readonly string[],
  port: Pick<MessagePort, 'on' | 'postMessage'>,
  drive: (fake: FakeDiscord, load: Load) => Promise<Result>,
): Promise<void> {
  const fake = new FakeDiscord({ guilds: guildIds.map((id, index) => ({ id, name: `Server ${index + 1}` })) });
  await fake.start();
  const reply = (message: FakeDiscordDriverMessage<Result>) => port.postMessage(message);
  port.on('message', (message: Load | { type: 'stop' }) => {
    if (message.type === 'stop') {
      void fake.stop().finally(() => reply({ type: 'stopped' }));
      return;
    }
    void drive(fake, message as Load).then((result) => reply({ type: 'result', result }));
  });
  reply({ type: 'listening', apiUrl: fake.apiUrl, token: fake.token, applicationId: fake.applicationId });
}
