/**
 * Drives a bot through a {@link FakeDiscord} as members would: builds INTERACTION_CREATE payloads
 * for a guild, dispatches them and reads the answers back (the reply, or the edit that follows a
 * deferral).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InteractionResponseType, PermissionFlagsBits } from 'discord.js';
import type { FakeDiscord, InteractionHandle, InteractionResponse, MessageBody } from '../support/fake-discord.ts';
import { MEMBER_PERMISSIONS, autocomplete, dmSlashCommand, slashCommand, snowflake, type OptionValue } from '../support/interactions.ts';

/** A member who can manage the server (and so `/retrain`). */
export const MODERATOR_PERMISSIONS = MEMBER_PERMISSIONS | PermissionFlagsBits.ManageGuild;

/** Who sends an interaction, and in which language. */
export interface Sender {
  userId?: string;
  permissions?: bigint;
  locale?: 'en-US' | 'zh-CN' | 'zh-TW';
}

/** Sends interactions to a fake and reads the bot's answers. */
export class Driver {
  /** One member id per driver, so a test's members never share a teach cooldown by accident. */
  readonly defaultUserId = snowflake();

  constructor(readonly fake: FakeDiscord) {}

  /** Dispatches a slash command used in `guildId`; `name` may name a subcommand after it (`sentences export`). */
  command(guildId: string, name: string, options: Record<string, OptionValue> = {}, sender: Sender = {}): InteractionHandle {
    const [command = '', subcommand] = name.split(' ');
    return this.fake.sendInteraction(
      slashCommand({
        applicationId: this.fake.applicationId,
        guildId,
        name: command,
        ...(subcommand === undefined ? {} : { subcommand }),
        options,
        user: { id: sender.userId ?? this.defaultUserId },
        permissions: sender.permissions ?? MEMBER_PERMISSIONS,
        locale: sender.locale ?? 'en-US',
      }),
    );
  }

  /** Dispatches a slash command used in a direct message with the bot. */
  directMessage(name: string, options: Record<string, OptionValue> = {}, sender: Sender = {}): InteractionHandle {
    return this.fake.sendInteraction(
      dmSlashCommand({
        applicationId: this.fake.applicationId,
        name,
        options,
        user: { id: sender.userId ?? this.defaultUserId },
        locale: sender.locale ?? 'en-US',
      }),
    );
  }

  /** Dispatches an autocomplete request while `focused` is typed. */
  autocomplete(guildId: string, name: string, options: Record<string, OptionValue>, focused: string, sender: Sender = {}): InteractionHandle {
    return this.fake.sendInteraction(
      autocomplete({
        applicationId: this.fake.applicationId,
        guildId,
        name,
        options,
        focused,
        user: { id: sender.userId ?? this.defaultUserId },
        permissions: sender.permissions ?? MEMBER_PERMISSIONS,
      }),
    );
  }

  /** The acknowledgement (reply, deferral or autocomplete result). */
  callback(handle: InteractionHandle, timeoutMs = 10_000): Promise<InteractionResponse> {
    return this.fake.waitFor(handle, (response) => response.kind === 'callback', timeoutMs);
  }

  /**
   * The message the member sees first: the reply itself, or the first edit after a deferral.
   * Every response on the way is returned too, so callers can check each body.
   */
  async answer(handle: InteractionHandle, timeoutMs = 10_000): Promise<{ message: MessageBody; responses: InteractionResponse[] }> {
    const callback = await this.callback(handle, timeoutMs);
    if (callback.body.type !== InteractionResponseType.DeferredChannelMessageWithSource) {
      return { message: callback.body.data ?? {}, responses: [callback] };
    }
    const edit = await this.fake.waitFor(handle, (response) => response.kind === 'edit', timeoutMs);
    return { message: edit.body, responses: [callback, edit] };
  }

  /** The content of {@link answer}. */
  async text(handle: InteractionHandle, timeoutMs?: number): Promise<string> {
    return (await this.answer(handle, timeoutMs)).message.content ?? '';
  }

  /**
   * Teaches the sentences in `guildId` one after the other (so they are stored in this order),
   * each from its own member, and returns the replies.
   */
  async teachAll(guildId: string, sentences: readonly string[]): Promise<string[]> {
    const replies: string[] = [];
    for (const sentence of sentences) {
      replies.push(await this.text(this.command(guildId, 'teach', { sentence }, { userId: snowflake() })));
    }
    return replies;
  }
}

/** The words of a `/predict` answer's table, most likely first. */
export function predictedWords(content: string): string[] {
  const table = /```\n([\s\S]*?)\n```/.exec(content)?.[1];
  if (table === undefined) return [];
  return table.split('\n').map((row) => row.trim().split(/\s+/)[0] ?? '');
}

/** The model version named in a `/predict` answer's footer, e.g. 2 for `model v2 (LSTM)`. */
export function answeringVersion(content: string): number | null {
  const match = /model v(\d+)/.exec(content);
  return match === null ? null : Number(match[1]);
}

/** A fresh folder under the system's temporary folder; returns its path and a remover. */
export function temporaryFolder(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Reads rows from the bot's SQLite file through a separate read-only connection. */
export function queryDatabase<Row>(dbPath: string, sql: string, ...params: unknown[]): Row[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as Row[];
  } finally {
    db.close();
  }
}

/** `count` distinct plain sentences from a small vocabulary. */
export function generatedSentences(count: number): string[] {
  const subjects = ['owls', 'foxes', 'deer', 'wolves', 'hares', 'bears', 'crows', 'moles', 'bats', 'lynxes'];
  const verbs = ['hunt', 'sleep', 'wander', 'rest', 'hide', 'play', 'feed', 'call', 'wait', 'run'];
  const places = ['in the forest', 'by the river', 'near the hills', 'under the trees', 'in the snow', 'on the rocks'];
  const times = ['at night', 'at dawn', 'by day', 'in spring', 'in winter'];
  const sentences: string[] = [];
  for (const subject of subjects) {
    for (const verb of verbs) {
      for (const place of places) {
        for (const time of times) sentences.push(`${subject} ${verb} ${place} ${time}`);
      }
    }
  }
  if (sentences.length < count) throw new Error(`only ${sentences.length} sentences can be generated`);
  return sentences.slice(0, count);
}
