/**
 * A loopback stand-in for Discord: the REST API and the Gateway on 127.0.0.1, faithful enough for
 * the real discord.js 14 client to log in, receive interactions and answer them. The bot under
 * test only gets a different REST base (`new Client({ rest: { api: fake.apiUrl } })`); nothing in
 * the product knows it is talking to a fake.
 *
 * Every HTTP request is recorded; interactions dispatched with {@link FakeDiscord.sendInteraction}
 * collect their callback, edits and follow-ups so tests can await them. Requests are checked the
 * way Discord checks them where bots commonly get it wrong (3 s acknowledgement deadline, interaction
 * tokens that expire 15 minutes after the interaction was created, double acknowledgement, empty or over-long messages, invalid command definitions), answering with
 * Discord's error codes.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ChannelType,
  GatewayDispatchEvents,
  GatewayOpcodes,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildVerificationLevel,
  InteractionResponseType,
  Locale,
  MessageFlags,
  MessageType,
  type APIAllowedMentions,
  type ApplicationFlags,
  type APIApplicationCommand,
  type APIAttachment,
  type APIEmbed,
  type APIInteraction,
  type APIMessage,
  type APIUser,
  type GatewayGuildCreateDispatchData,
  type GatewayIdentifyData,
  type GatewayReadyDispatchData,
  type GatewayResumeData,
  type ChannelFlags,
  type GuildMemberFlags,
  type RoleFlags,
  type GuildSystemChannelFlags,
} from 'discord.js';
import { MEMBER_PERMISSIONS, snowflake } from './interactions.ts';

/** A guild the bot is in. */
export interface FakeGuildConfig {
  id: string;
  name: string;
  preferredLocale?: `${Locale}`;
  /** Id of the guild's one text channel; generated when omitted. */
  channelId?: string;
}

/** Identity and behaviour of the fake. Every field has a realistic default. */
export interface FakeDiscordOptions {
  /** The only bot token accepted on REST and Gateway. */
  token?: string;
  applicationId?: string;
  /** Defaults to the application id, as for every bot created since 2020. */
  botUserId?: string;
  botUsername?: string;
  guilds?: FakeGuildConfig[];
  /** Discord's is 41250 ms; lower it to exercise heartbeating in a short test. */
  heartbeatIntervalMs?: number;
  /** Discord rejects acknowledgements arriving later than 3 s after the interaction. */
  interactionDeadlineMs?: number;
  /**
   * Shards `GET /gateway/bot` recommends (default 1). A session identifying as shard `[id, count]`
   * gets the guilds Discord would route to it, `(guild_id >> 22) % count === id`, and their
   * interactions.
   */
  shards?: number;
}

/** A file part of a multipart request. */
export interface RecordedFile {
  /** Form field name, e.g. `files[0]`. */
  field: string;
  name: string;
  size: number;
  contentType: string;
  data: Buffer;
}

/** One HTTP request as the fake received and answered it. */
export interface RecordedRequest {
  method: string;
  /** Percent-decoded path; for the API without the `/api/v10` prefix, e.g. `/interactions/1/t/callback`. */
  path: string;
  url: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body, or the parsed `payload_json` part of a multipart body. */
  body: unknown;
  files: RecordedFile[];
  /** Arrival time, `Date.now()`. */
  time: number;
  /** Status the fake answered with; 0 while the request is being handled. */
  status: number;
  /** Whether the answer came from {@link FakeDiscord.failNext}. */
  injected: boolean;
}

/** The message-shaped part of callback data, edits and follow-ups. */
export interface MessageBody {
  content?: string;
  embeds?: APIEmbed[];
  components?: unknown[];
  attachments?: { id: string | number; filename?: string; description?: string }[];
  flags?: number;
  tts?: boolean;
  allowed_mentions?: APIAllowedMentions;
  /** Autocomplete results (callback type 8). */
  choices?: { name: string; value: string | number }[];
  poll?: unknown;
  sticker_ids?: string[];
}

/** Body of an interaction response: callbacks carry `type` and `data`, edits and follow-ups the message fields. */
export type ResponseBody = MessageBody & { type?: InteractionResponseType; data?: MessageBody };

/** What the bot did in answer to an interaction. */
export interface InteractionResponse {
  kind: 'callback' | 'edit' | 'followUp' | 'delete';
  body: ResponseBody;
  files: RecordedFile[];
  /** Milliseconds since the interaction was dispatched. */
  atMs: number;
  /** The message as it stands after this response, when the response produced one. */
  message?: APIMessage;
  request: RecordedRequest;
}

/** An interaction dispatched to the bot and what it answered so far. */
export interface InteractionHandle {
  readonly id: string;
  readonly token: string;
  readonly payload: APIInteraction;
  /** `performance.now()` at dispatch. */
  readonly dispatchedAt: number;
  /** Accepted responses in arrival order; rejected attempts are only in {@link FakeDiscord.requests}. */
  readonly responses: readonly InteractionResponse[];
}

/** A message the bot posted in a channel (`POST /channels/{id}/messages`). */
export interface ChannelMessage {
  channelId: string;
  body: MessageBody;
  files: RecordedFile[];
  message: APIMessage;
  request: RecordedRequest;
}

/** A failure to serve instead of the next matching requests. */
export interface FaultSpec {
  /** HTTP method to match; any when omitted. */
  method?: string;
  /** Tested against {@link RecordedRequest.path}. */
  pathPattern: RegExp;
  status: number;
  /** Defaults to Discord's body for the status. */
  body?: unknown;
  /** How many matching requests fail; default 1. */
  times?: number;
  /** For 429: seconds to wait, sent as `retry_after` and in `Retry-After`/`X-RateLimit-Reset-After`. */
  retryAfter?: number;
  /** For 429: which limit was hit; `global` adds `X-RateLimit-Global`. Default `user`. */
  scope?: 'user' | 'global' | 'shared';
}

/** Events: `identify` and `resume`, each with the client's payload. */
export interface FakeDiscordEvents {
  identify: [GatewayIdentifyData];
  resume: [GatewayResumeData];
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A file the fake serves under `/attachments/...`. */
export interface HostedFile {
  data: Buffer;
  contentType: string;
}

interface GatewaySession {
  id: string;
  /** `[shard id, shard count]` as identified. */
  shard: [number, number];
  seq: number;
  socket: WebSocket | null;
  /** Dispatches kept for replay on RESUME. */
  backlog: { s: number; frame: string }[];
}

interface TrackedInteraction extends InteractionHandle {
  readonly responses: InteractionResponse[];
  readonly list: WaitableList<InteractionResponse>;
  acknowledged: boolean;
  originalMessageId: string | null;
  readonly messages: Map<string, APIMessage>;
}

/** A list whose future entries can be awaited. */
class WaitableList<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<{ match: (item: T) => boolean; resolve: (item: T) => void }>();

  push(item: T): void {
    this.items.push(item);
    for (const waiter of this.waiters) {
      if (waiter.match(item)) {
        this.waiters.delete(waiter);
        waiter.resolve(item);
      }
    }
  }

  waitFor(match: (item: T) => boolean, timeoutMs: number, describeTimeout: () => string): Promise<T> {
    const found = this.items.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(describeTimeout()));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/** Collects Discord's nested `errors` object of a 50035 Invalid Form Body answer. */
class FormErrors {
  private readonly root: Record<string, unknown> = {};
  private count = 0;

  add(path: (string | number)[], code: string, message: string): void {
    let node = this.root;
    for (const key of path) {
      node = (node[String(key)] ??= {}) as Record<string, unknown>;
    }
    ((node._errors ??= []) as { code: string; message: string }[]).push({ code, message });
    this.count += 1;
  }

  reply(): Reply | null {
    if (this.count === 0) return null;
    return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors: this.root } };
  }
}

const discordError = (status: number, code: number, message: string): Reply => ({ status, body: { message, code } });
const genericError = (status: number): Reply =>
  discordError(status, 0, `${status}: ${http.STATUS_CODES[status] ?? 'Error'}`);

const UNKNOWN_INTERACTION = discordError(404, 10062, 'Unknown interaction');
const UNKNOWN_WEBHOOK = discordError(404, 10015, 'Unknown Webhook');
const UNKNOWN_MESSAGE = discordError(404, 10008, 'Unknown Message');
const UNKNOWN_CHANNEL = discordError(404, 10003, 'Unknown Channel');
const INVALID_WEBHOOK_TOKEN = discordError(401, 50027, 'Invalid Webhook Token');
/** Discord accepts an interaction's webhook (edits, follow-ups) for 15 minutes after it was created. */
const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/** When a snowflake was made, from the time in its high bits. */
function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH_MS);
}
const ALREADY_ACKNOWLEDGED = discordError(400, 40060, 'Interaction has already been acknowledged.');
const EMPTY_MESSAGE = discordError(400, 50006, 'Cannot send an empty message');
const INVALID_JSON = discordError(400, 50109, 'The request body contains invalid JSON.');

const MAX_CONTENT_LENGTH = 2000;
const MAX_EMBEDS = 10;
const MAX_CHOICES = 25;
const MAX_COMMAND_OPTIONS = 25;
const BACKLOG_LIMIT = 1000;
/** Discord's rule for command and option names; chat-input names must also be lower case. */
const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

type CommandOptionInput = {
  type?: number;
  name?: unknown;
  description?: unknown;
  required?: boolean;
  autocomplete?: boolean;
  choices?: { name?: unknown }[];
  options?: CommandOptionInput[];
};

function validateOptions(options: CommandOptionInput[], path: (string | number)[], errors: FormErrors): void {
  if (options.length > MAX_COMMAND_OPTIONS) {
    errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_COMMAND_OPTIONS} or fewer in length.`);
  }
  const isGroupLevel = options.some(
    (o) => o.type === ApplicationCommandOptionType.Subcommand || o.type === ApplicationCommandOptionType.SubcommandGroup,
  );
  const seen = new Set<string>();
  let optionalSeen = false;
  options.forEach((option, index) => {
    const here = [...path, index];
    validateName(option.name, true, [...here, 'name'], errors);
    validateDescription(option.description, [...here, 'description'], errors);
    if (typeof option.name === 'string') {
      if (seen.has(option.name)) {
        errors.add([...here, 'name'], 'APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAMES', 'Option names must be unique');
      }
      seen.add(option.name);
    }
    const isGroup =
      option.type === ApplicationCommandOptionType.Subcommand || option.type === ApplicationCommandOptionType.SubcommandGroup;
    if (isGroupLevel && !isGroup) {
      errors.add(here, 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID', 'Sub-command and sub-command group option types are mutually exclusive to all other types');
    }
    if (!isGroup) {
      if (option.required === true && optionalSeen) {
        errors.add([...here, 'required'], 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', 'Required options must be placed before non-required options');
      }
      optionalSeen ||= option.required !== true;
    }
    if (option.choices !== undefined) {
      if (option.autocomplete === true) {
        errors.add([...here, 'autocomplete'], 'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID', 'Autocomplete cannot be enabled on options with choices');
      }
      validateChoices(option.choices, [...here, 'choices'], errors);
    }
    if (option.options !== undefined) validateOptions(option.options, [...here, 'options'], errors);
  });
}

function validateName(name: unknown, lowerCase: boolean, path: (string | number)[], errors: FormErrors): void {
  if (typeof name !== 'string' || !COMMAND_NAME.test(name) || (lowerCase && name !== name.toLowerCase())) {
    errors.add(path, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
}

function validateDescription(description: unknown, path: (string | number)[], errors: FormErrors): void {
  if (typeof description !== 'string' || description.length < 1 || description.length > 100) {
    errors.add(path, 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  }
}

function validateChoices(choices: { name?: unknown }[], path: (string | number)[], errors: FormErrors): void {
  if (choices.length > MAX_CHOICES) {
    errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CHOICES} or fewer in length.`);
  }
  choices.forEach((choice, index) => {
    if (typeof choice.name !== 'string' || choice.name.length < 1 || choice.name.length > 100) {
      errors.add([...path, index, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
  });
}

/** Checks message fields Discord limits; `prefix` is where they sit in the body (`data` for callbacks). */
function validateMessage(body: MessageBody, prefix: string[], errors: FormErrors): void {
  if (typeof body.content === 'string' && body.content.length > MAX_CONTENT_LENGTH) {
    errors.add([...prefix, 'content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_CONTENT_LENGTH} or fewer in length.`);
  }
  if (Array.isArray(body.embeds) && body.embeds.length > MAX_EMBEDS) {
    errors.add([...prefix, 'embeds'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MAX_EMBEDS} or fewer in length.`);
  }
}

function isEmptyMessage(body: MessageBody, files: RecordedFile[]): boolean {
  return (
    !body.content &&
    !(body.embeds?.length ?? 0) &&
    !(body.components?.length ?? 0) &&
    !(body.sticker_ids?.length ?? 0) &&
    body.poll === undefined &&
    files.length === 0
  );
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a JSON or multipart body the way Discord does: JSON in `payload_json`, files in the other parts. */
async function parseBody(raw: Buffer, contentType: string): Promise<{ body: unknown; files: RecordedFile[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const files: RecordedFile[] = [];
    let body: unknown;
    for (const [field, value] of form) {
      if (typeof value === 'string') {
        if (field === 'payload_json') body = JSON.parse(value);
        continue;
      }
      const data = Buffer.from(await value.arrayBuffer());
      files.push({ field, name: value.name, size: data.length, contentType: value.type, data });
    }
    return { body, files };
  }
  return { body: JSON.parse(raw.toString('utf8')), files: [] };
}

/**
 * The fake Discord. `start()` it, give the client `apiUrl`, `sendInteraction()` payloads built with
 * `./interactions.ts`, await the bot's answers with `waitFor()`, `stop()` it after destroying the client.
 */
export class FakeDiscord extends EventEmitter<FakeDiscordEvents> {
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: APIUser;
  /** Every HTTP request received, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** IDENTIFY payloads received, in order. */
  readonly identifies: GatewayIdentifyData[] = [];
  /** RESUME payloads received, in order. */
  readonly resumes: GatewayResumeData[] = [];
  private heartbeatCount = 0;

  private readonly guildConfigs: Required<FakeGuildConfig>[];
  private readonly heartbeatIntervalMs: number;
  private readonly interactionDeadlineMs: number;
  private readonly server = http.createServer((req, res) => void this.onHttp(req, res));
  private readonly gateway = new WebSocketServer({ server: this.server, path: '/gateway' });
  private readonly requestList = new WaitableList<RecordedRequest>();
  private readonly unroutedRequests: RecordedRequest[] = [];
  private readonly channelMessageList = new WaitableList<ChannelMessage>();
  private readonly faults: (FaultSpec & { remaining: number })[] = [];
  private readonly interactions = new Map<string, TrackedInteraction>();
  private readonly hostedFiles = new Map<string, HostedFile>();
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly commandsByScope = new Map<string, APIApplicationCommand[]>();
  private latestSession: GatewaySession | null = null;
  private readonly recommendedShards: number;
  private origin = '';

  constructor(options: FakeDiscordOptions = {}) {
    super();
    this.applicationId = options.applicationId ?? snowflake();
    const botUserId = options.botUserId ?? this.applicationId;
    this.token = options.token ?? `${Buffer.from(botUserId).toString('base64url')}.GfAkEd.${'x'.repeat(38)}`;
    this.botUser = {
      id: botUserId,
      username: options.botUsername ?? 'lstm-bot',
      discriminator: '0',
      global_name: null,
      avatar: null,
      bot: true,
    };
    this.guildConfigs = (options.guilds ?? []).map((guild) => this.completeGuild(guild));
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    this.interactionDeadlineMs = options.interactionDeadlineMs ?? 3_000;
    this.recommendedShards = options.shards ?? 1;
    this.gateway.on('connection', (socket) => this.onGatewayConnection(socket));
  }

  /** REST base to hand to the client (`rest: { api }`). */
  get apiUrl(): string {
    return `${this.origin}/api`;
  }

  /** Where `GET /gateway/bot` sends the client. */
  get gatewayUrl(): string {
    return `${this.origin.replace(/^http/, 'ws')}/gateway`;
  }

  /** Heartbeats received (and acknowledged) on any gateway connection. */
  get heartbeats(): number {
    return this.heartbeatCount;
  }

  /** Guilds the bot is in, with their text channel ids. */
  get guilds(): readonly Required<FakeGuildConfig>[] {
    return this.guildConfigs;
  }

  /** Messages the bot posted in channels, in order. */
  get channelMessages(): readonly ChannelMessage[] {
    return this.channelMessageList.items;
  }

  /** Resolves with the first message (past or future) the bot posts in a channel matching `predicate`. */
  waitForChannelMessage(predicate: (message: ChannelMessage) => boolean, timeoutMs = 5_000): Promise<ChannelMessage> {
    return this.channelMessageList.waitFor(predicate, timeoutMs, () => `no matching channel message within ${timeoutMs} ms`);
  }

  /** Requests no route matched (answered 404): endpoints the bot uses that the fake lacks. */
  get unhandled(): readonly RecordedRequest[] {
    return this.unroutedRequests;
  }

  /** Listens on an ephemeral port of 127.0.0.1. */
  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.origin = `http://127.0.0.1:${port}`;
  }

  /** Closes every socket and the server. Destroy clients first, or they will try to reconnect. */
  async stop(): Promise<void> {
    for (const socket of this.gateway.clients) socket.terminate();
    await new Promise<void>((resolve) => this.gateway.close(() => resolve()));
    const closed = new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
    this.server.closeAllConnections();
    await closed;
  }

  /** Serves the next `times` requests matching `spec` with the given failure instead of handling them. */
  failNext(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.times ?? 1 });
  }

  /** Dispatches INTERACTION_CREATE on the latest gateway session and starts tracking the bot's answers. */
  sendInteraction(payload: APIInteraction): InteractionHandle {
    if (payload.application_id !== this.applicationId) {
      throw new Error(`interaction is for application ${payload.application_id}, the fake is ${this.applicationId}`);
    }
    const session = this.requireSession(payload.guild_id);
    const list = new WaitableList<InteractionResponse>();
    const tracked: TrackedInteraction = {
      id: payload.id,
      token: payload.token,
      payload,
      dispatchedAt: performance.now(),
      responses: list.items,
      list,
      acknowledged: false,
      originalMessageId: null,
      messages: new Map(),
    };
    this.interactions.set(payload.token, tracked);
    this.dispatch(session, GatewayDispatchEvents.InteractionCreate, payload);
    return tracked;
  }

  /** Resolves with the first response (past or future) of `handle` matching `predicate`. */
  waitFor(
    handle: InteractionHandle,
    predicate: (response: InteractionResponse) => boolean,
    timeoutMs = 5_000,
  ): Promise<InteractionResponse> {
    const tracked = this.interactions.get(handle.token);
    if (!tracked) return Promise.reject(new Error(`interaction ${handle.id} was not sent by this fake`));
    return tracked.list.waitFor(predicate, timeoutMs, () => {
      const seen = tracked.responses.map((r) => `${r.kind}@${Math.round(r.atMs)}ms`).join(', ') || 'none';
      const rejected = this.requests
        .filter((r) => r.path.includes(handle.token) && r.status >= 400)
        .map((r) => `${r.method} ${r.status} ${JSON.stringify(r.body)}`);
      const last = tracked.responses.at(-1)?.body;
      const lastText = last === undefined ? '' : `; last: ${JSON.stringify({ content: last.content, embeds: last.embeds }).slice(0, 400)}`;
      return `no matching response to interaction ${handle.id} within ${timeoutMs} ms; responses: ${seen}${lastText}; rejected: ${rejected.join(' | ') || 'none'}`;
    });
  }

  /** Resolves with the first answered request (past or future) matching `predicate`. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs = 5_000): Promise<RecordedRequest> {
    return this.requestList.waitFor(predicate, timeoutMs, () => `no matching request within ${timeoutMs} ms`);
  }

  /** Closes the bot's gateway socket with `code`; 4000 makes discord.js reconnect and RESUME. */
  closeGateway(code = 4000, reason = 'closed by test'): void {
    this.requireSession().socket?.close(code, reason);
  }

  /** Adds the bot to a guild while connected: GUILD_CREATE, which discord.js reports as `guildCreate`. */
  joinGuild(guild: FakeGuildConfig): Required<FakeGuildConfig> {
    const complete = this.completeGuild(guild);
    this.guildConfigs.push(complete);
    this.dispatch(this.requireSession(complete.id), GatewayDispatchEvents.GuildCreate, this.guildCreatePayload(complete));
    return complete;
  }

  /** Removes the bot from a guild: GUILD_DELETE, which discord.js reports as `guildDelete`. */
  leaveGuild(guildId: string): void {
    const index = this.guildConfigs.findIndex((guild) => guild.id === guildId);
    if (index < 0) throw new Error(`the bot is not in guild ${guildId}`);
    this.guildConfigs.splice(index, 1);
    this.dispatch(this.requireSession(guildId), GatewayDispatchEvents.GuildDelete, { id: guildId });
  }

  /** Application commands registered by the bot, globally or for one guild. */
  commands(guildId?: string): readonly APIApplicationCommand[] {
    return this.commandsByScope.get(guildId ?? 'global') ?? [];
  }

  /** Hosts a file as an ephemeral attachment, e.g. the value of an Attachment command option. */
  attachment(file: { filename: string; content: string | Uint8Array; contentType?: string }): APIAttachment {
    const data = Buffer.from(file.content);
    return this.hostFile(snowflake(), file.filename, data, file.contentType ?? 'application/octet-stream', true);
  }

  /** The bytes behind an attachment URL handed out by this fake (uploads by the bot included). */
  fileAt(url: string): HostedFile | undefined {
    return this.hostedFiles.get(decodeURIComponent(new URL(url).pathname));
  }

  private completeGuild(guild: FakeGuildConfig): Required<FakeGuildConfig> {
    return { preferredLocale: Locale.EnglishUS, channelId: snowflake(), ...guild };
  }

  private hostFile(channelId: string, filename: string, data: Buffer, contentType: string, ephemeral: boolean): APIAttachment {
    const id = snowflake();
    // Keyed by the decoded path, which is what requests are routed on.
    const path = `/attachments/${channelId}/${id}/${filename}`;
    this.hostedFiles.set(path, { data, contentType });
    const url = `${this.origin}/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
    return {
      id,
      filename,
      size: data.length,
      url,
      proxy_url: url,
      content_type: contentType,
      ...(ephemeral ? { ephemeral } : {}),
    };
  }

  /**
   * The latest session of the shard a guild belongs to (the latest session of all without a guild,
   * as Discord sends direct messages to shard 0 and a test closes the bot's one socket).
   */
  private requireSession(guildId?: string): GatewaySession {
    if (!this.latestSession) throw new Error('no gateway session: log a client in first');
    if (guildId === undefined) return this.latestSession;
    const owners = [...this.sessions.values()].filter((session) => shardOf(guildId, session.shard[1]) === session.shard[0]);
    const owner = owners.find((session) => session === this.latestSession) ?? owners.at(-1);
    if (owner === undefined) throw new Error(`no gateway session of the shard of guild ${guildId}`);
    return owner;
  }

  // ---------------------------------------------------------------- Gateway

  private onGatewayConnection(socket: WebSocket): void {
    let session: GatewaySession | null = null;
    this.send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null });
    socket.on('message', (raw) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(raw.toString()) as typeof payload;
      } catch {
        socket.close(4002, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          this.heartbeatCount += 1;
          this.send(socket, { op: GatewayOpcodes.HeartbeatAck });
          break;
        case GatewayOpcodes.Identify:
          session = this.identify(socket, session, payload.d as GatewayIdentifyData);
          break;
        case GatewayOpcodes.Resume:
          session = this.resume(socket, session, payload.d as GatewayResumeData);
          break;
        default:
          // Presence updates, member requests, voice: not needed by the bot, accepted and ignored.
          if (!session) socket.close(4003, 'Not authenticated.');
      }
    });
    socket.on('close', () => {
      if (session?.socket === socket) session.socket = null;
    });
  }

  private identify(socket: WebSocket, current: GatewaySession | null, data: GatewayIdentifyData): GatewaySession | null {
    if (current) {
      socket.close(4005, 'Already authenticated.');
      return current;
    }
    if (data.token !== this.token) {
      socket.close(4004, 'Authentication failed.');
      return null;
    }
    this.identifies.push(data);
    const shard = data.shard ?? [0, 1];
    const session: GatewaySession = { id: snowflake(), shard, seq: 0, socket, backlog: [] };
    const guilds = this.guildConfigs.filter((guild) => shardOf(guild.id, shard[1]) === shard[0]);
    this.sessions.set(session.id, session);
    this.latestSession = session;
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: { ...this.botUser, verified: true, mfa_enabled: false },
      guilds: guilds.map((guild) => ({ id: guild.id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.gatewayUrl,
      shard,
      application: { id: this.applicationId, flags: 0 as ApplicationFlags, flags_new: '0' },
    };
    this.dispatch(session, GatewayDispatchEvents.Ready, ready);
    for (const guild of guilds) {
      this.dispatch(session, GatewayDispatchEvents.GuildCreate, this.guildCreatePayload(guild));
    }
    this.emit('identify', data);
    return session;
  }

  private resume(socket: WebSocket, current: GatewaySession | null, data: GatewayResumeData): GatewaySession | null {
    const session = this.sessions.get(data.session_id);
    if (current || data.token !== this.token || !session || data.seq > session.seq) {
      // Not resumable: the client must identify again.
      this.send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      return current;
    }
    this.resumes.push(data);
    session.socket = socket;
    this.latestSession = session;
    for (const entry of session.backlog) {
      if (entry.s > data.seq) socket.send(entry.frame);
    }
    this.dispatch(session, GatewayDispatchEvents.Resumed, {});
    this.emit('resume', data);
    return session;
  }

  /** Sends a dispatch on the session, or keeps it for replay while the socket is gone. */
  private dispatch(session: GatewaySession, event: GatewayDispatchEvents, data: unknown): void {
    session.seq += 1;
    const frame = JSON.stringify({ op: GatewayOpcodes.Dispatch, t: event, s: session.seq, d: data });
    session.backlog.push({ s: session.seq, frame });
    if (session.backlog.length > BACKLOG_LIMIT) session.backlog.shift();
    if (session.socket?.readyState === WebSocket.OPEN) session.socket.send(frame);
  }

  private send(socket: WebSocket, payload: object): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  private guildCreatePayload(guild: Required<FakeGuildConfig>): GatewayGuildCreateDispatchData {
    const joinedAt = new Date().toISOString();
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: snowflake(),
      region: 'us-west',
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: GuildVerificationLevel.None,
      default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
      explicit_content_filter: GuildExplicitContentFilter.Disabled,
      roles: [
        {
          id: guild.id, // @everyone shares the guild's id
          name: '@everyone',
          color: 0,
          colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
          hoist: false,
          icon: null,
          unicode_emoji: null,
          position: 0,
          permissions: MEMBER_PERMISSIONS.toString(),
          managed: false,
          mentionable: false,
          flags: 0 as RoleFlags,
        },
      ],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: GuildMFALevel.None,
      application_id: null,
      system_channel_id: guild.channelId,
      system_channel_flags: 0 as GuildSystemChannelFlags,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      vanity_url_code: null,
      premium_tier: GuildPremiumTier.None,
      premium_subscription_count: 0,
      preferred_locale: guild.preferredLocale as Locale,
      nsfw_level: GuildNSFWLevel.Default,
      premium_progress_bar_enabled: false,
      hub_type: null,
      incidents_data: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      joined_at: joinedAt,
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [
        {
          user: this.botUser,
          nick: null,
          avatar: null,
          banner: null,
          roles: [],
          joined_at: joinedAt,
          premium_since: null,
          deaf: false,
          mute: false,
          pending: false,
          flags: 0 as GuildMemberFlags,
        },
      ],
      channels: [
        {
          id: guild.channelId,
          type: ChannelType.GuildText,
          guild_id: guild.id,
          name: 'general',
          position: 0,
          parent_id: null,
          topic: null,
          nsfw: false,
          last_message_id: null,
          rate_limit_per_user: 0,
          permission_overwrites: [],
          flags: 0 as ChannelFlags,
        },
      ],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  // ---------------------------------------------------------------- HTTP

  private async onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const decodedPath = decodeURIComponent(url.pathname);
    const apiPath = /^\/api(?:\/v\d+)?(\/.*)$/.exec(decodedPath)?.[1];
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')]),
    );
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: apiPath ?? decodedPath,
      url: req.url ?? '/',
      query: Object.fromEntries(url.searchParams),
      headers,
      body: undefined,
      files: [],
      time: Date.now(),
      status: 0,
      injected: false,
    };
    this.requests.push(record);

    let reply: Reply;
    try {
      const parsed = await parseBody(await readBody(req), headers['content-type'] ?? '');
      record.body = parsed.body;
      record.files = parsed.files;
      reply = this.injectedFault(record) ?? (apiPath === undefined ? this.serveFile(decodedPath, res) : this.route(record));
    } catch (error) {
      reply = error instanceof SyntaxError ? INVALID_JSON : genericError(500);
    }
    if (res.headersSent) {
      record.status = res.statusCode;
    } else {
      record.status = reply.status;
      const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
      res.writeHead(reply.status, {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...reply.headers,
      });
      res.end(body);
    }
    this.requestList.push(record);
  }

  private injectedFault(record: RecordedRequest): Reply | null {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (f.method === undefined || f.method.toUpperCase() === record.method) && f.pathPattern.test(record.path),
    );
    if (!fault) return null;
    fault.remaining -= 1;
    record.injected = true;
    if (fault.status !== 429) return { status: fault.status, body: fault.body ?? genericError(fault.status).body };
    const retryAfter = fault.retryAfter ?? 1;
    const scope = fault.scope ?? 'user';
    const global = scope === 'global';
    // The headers Discord sends with a 429; Discord rounds Retry-After up to whole seconds, the fake
    // keeps fractions so tests can use short waits.
    const headers: Record<string, string> = {
      'retry-after': String(retryAfter),
      'x-ratelimit-scope': scope,
      ...(global
        ? { 'x-ratelimit-global': 'true' }
        : {
            'x-ratelimit-limit': '5',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': ((Date.now() + retryAfter * 1000) / 1000).toFixed(3),
            'x-ratelimit-reset-after': retryAfter.toFixed(3),
            'x-ratelimit-bucket': 'f4k3b0ck3t0000000000000000000000',
          }),
    };
    return {
      status: 429,
      headers,
      body: fault.body ?? { message: 'You are being rate limited.', retry_after: retryAfter, global },
    };
  }

  private serveFile(path: string, res: http.ServerResponse): Reply {
    const file = this.hostedFiles.get(path);
    if (!file) return genericError(404);
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length });
    res.end(file.data);
    return { status: 200 };
  }

  private route(record: RecordedRequest): Reply {
    const { method, path } = record;
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway') return { status: 200, body: { url: this.gatewayUrl } };
    if (method === 'GET' && path === '/gateway/bot') {
      return (
        this.checkBotAuth(record) ?? {
          status: 200,
          body: {
            url: this.gatewayUrl,
            shards: this.recommendedShards,
            session_start_limit: { total: 1000, remaining: 1000 - this.identifies.length, reset_after: 86_400_000, max_concurrency: 1 },
          },
        }
      );
    }
    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path)) && method === 'POST') {
      return this.interactionCallback(record, m[1]!, m[2]!);
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(path))) {
      return this.webhook(record, m[1]!, m[2]!, m[3]);
    }
    if ((m = /^\/channels\/(\d+)$/.exec(path)) && method === 'GET') {
      const channel = this.textChannel(m[1]!);
      return this.checkBotAuth(record) ?? (channel === undefined ? UNKNOWN_CHANNEL : { status: 200, body: channel });
    }
    if ((m = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      return this.checkBotAuth(record) ?? this.channelMessage(record, m[1]!);
    }
    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path)) && (method === 'GET' || method === 'PUT')) {
      return this.checkBotAuth(record) ?? this.applicationCommands(record, m[1]!, m[2]);
    }
    this.unroutedRequests.push(record);
    return genericError(404);
  }

  private checkBotAuth(record: RecordedRequest): Reply | null {
    return record.headers.authorization === `Bot ${this.token}` ? null : genericError(401);
  }

  private interactionCallback(record: RecordedRequest, interactionId: string, token: string): Reply {
    const tracked = this.interactions.get(token);
    if (!tracked || tracked.id !== interactionId || performance.now() - tracked.dispatchedAt > this.interactionDeadlineMs) {
      return UNKNOWN_INTERACTION;
    }
    if (tracked.acknowledged) return ALREADY_ACKNOWLEDGED;
    const body = (record.body ?? {}) as ResponseBody;
    const data = body.data ?? {};
    const errors = new FormErrors();
    if (typeof body.type !== 'number') errors.add(['type'], 'BASE_TYPE_REQUIRED', 'This field is required');
    validateMessage(data, ['data'], errors);
    if (data.choices !== undefined) validateChoices(data.choices, ['data', 'choices'], errors);
    const invalid = errors.reply();
    if (invalid) return invalid;
    if (body.type === InteractionResponseType.ChannelMessageWithSource && isEmptyMessage(data, record.files)) {
      return EMPTY_MESSAGE;
    }

    tracked.acknowledged = true;
    let message: APIMessage | undefined;
    if (body.type === InteractionResponseType.ChannelMessageWithSource || body.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const deferred = body.type === InteractionResponseType.DeferredChannelMessageWithSource;
      // A deferred reply shows as a "thinking..." message until the first edit.
      const flags = ((data.flags ?? 0) & MessageFlags.Ephemeral) | (deferred ? MessageFlags.Loading : 0);
      message = this.writeMessage(tracked, undefined, { ...data, flags }, record.files, MessageType.ChatInputCommand);
      tracked.originalMessageId = message.id;
    }
    this.recordResponse(tracked, 'callback', record, message);
    if (record.query.with_response !== 'true') return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: tracked.id,
          type: tracked.payload.type,
          ...(message
            ? {
                response_message_id: message.id,
                response_message_loading: ((message.flags ?? 0) & MessageFlags.Loading) !== 0,
                response_message_ephemeral: ((message.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
              }
            : {}),
        },
        resource: { type: body.type, ...(message ? { message } : {}) },
      },
    };
  }

  private webhook(record: RecordedRequest, applicationId: string, token: string, messageRef: string | undefined): Reply {
    const tracked = this.interactions.get(token);
    // The interaction webhook only exists once the interaction has been acknowledged.
    if (applicationId !== this.applicationId || !tracked?.acknowledged) return UNKNOWN_WEBHOOK;
    if (Date.now() - snowflakeTime(tracked.id) > INTERACTION_TOKEN_LIFETIME_MS) return INVALID_WEBHOOK_TOKEN;
    const body = (record.body ?? {}) as MessageBody;

    if (messageRef === undefined) {
      if (record.method !== 'POST') return genericError(405);
      const errors = new FormErrors();
      validateMessage(body, [], errors);
      const invalid = errors.reply();
      if (invalid) return invalid;
      if (isEmptyMessage(body, record.files)) return EMPTY_MESSAGE;
      const message = this.writeMessage(tracked, undefined, body, record.files, MessageType.Default);
      this.recordResponse(tracked, 'followUp', record, message);
      return record.query.wait === 'true' ? { status: 200, body: message } : { status: 204 };
    }

    const messageId = messageRef === '@original' ? tracked.originalMessageId : messageRef;
    const existing = messageId === null ? undefined : tracked.messages.get(messageId);
    if (!existing) return UNKNOWN_MESSAGE;
    switch (record.method) {
      case 'GET':
        return { status: 200, body: existing };
      case 'DELETE':
        tracked.messages.delete(existing.id);
        this.recordResponse(tracked, 'delete', record, undefined);
        return { status: 204 };
      case 'PATCH': {
        const errors = new FormErrors();
        validateMessage(body, [], errors);
        const invalid = errors.reply();
        if (invalid) return invalid;
        const message = this.writeMessage(tracked, existing, body, record.files, existing.type);
        this.recordResponse(tracked, 'edit', record, message);
        return { status: 200, body: message };
      }
      default:
        return genericError(405);
    }
  }

  /** The text channel of a guild the bot is in, as `GET /channels/{id}` returns it. */
  private textChannel(channelId: string) {
    for (const guild of this.guildConfigs) {
      const channel = this.guildCreatePayload(guild).channels.find((candidate) => candidate.id === channelId);
      if (channel !== undefined) return { ...channel, guild_id: guild.id };
    }
    return undefined;
  }

  private channelMessage(record: RecordedRequest, channelId: string): Reply {
    if (this.textChannel(channelId) === undefined) return UNKNOWN_CHANNEL;
    const body = (record.body ?? {}) as MessageBody;
    const errors = new FormErrors();
    validateMessage(body, [], errors);
    const invalid = errors.reply();
    if (invalid) return invalid;
    if (isEmptyMessage(body, record.files)) return EMPTY_MESSAGE;
    const message: APIMessage = {
      id: snowflake(),
      type: MessageType.Default,
      channel_id: channelId,
      author: this.botUser,
      content: body.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: record.files.map((file) => this.hostFile(channelId, file.name, file.data, file.contentType, false)),
      embeds: body.embeds ?? [],
      pinned: false,
    };
    this.channelMessageList.push({ channelId, body, files: record.files, message, request: record });
    return { status: 200, body: message };
  }

  private recordResponse(
    tracked: TrackedInteraction,
    kind: InteractionResponse['kind'],
    request: RecordedRequest,
    message: APIMessage | undefined,
  ): void {
    tracked.list.push({
      kind,
      body: (request.body ?? {}) as ResponseBody,
      files: request.files,
      atMs: performance.now() - tracked.dispatchedAt,
      ...(message ? { message } : {}),
      request,
    });
  }

  /** Creates (no `previous`) or edits a message of the interaction, storing uploaded files as attachments. */
  private writeMessage(
    tracked: TrackedInteraction,
    previous: APIMessage | undefined,
    body: MessageBody,
    files: RecordedFile[],
    type: MessageType,
  ): APIMessage {
    const channelId = tracked.payload.channel?.id ?? snowflake();
    // As on Discord, an `attachments` list names the existing attachments to keep; new files are
    // matched to their metadata by index (`files[0]` <-> attachments id 0).
    const kept = (previous?.attachments ?? []).filter(
      (attachment) => body.attachments === undefined || body.attachments.some((a) => String(a.id) === attachment.id),
    );
    const uploaded = files.map((file, index) => {
      const meta = body.attachments?.find((a) => String(a.id) === String(index));
      const hosted = this.hostFile(channelId, meta?.filename ?? file.name, file.data, file.contentType, false);
      return meta?.description === undefined ? hosted : { ...hosted, description: meta.description };
    });
    const invoker = tracked.payload.member?.user ?? tracked.payload.user;
    const flags = previous
      ? (body.flags ?? previous.flags ?? 0) & ~MessageFlags.Loading
      : (body.flags ?? 0);
    const message: APIMessage = {
      id: previous?.id ?? snowflake(),
      type,
      channel_id: channelId,
      author: this.botUser,
      content: body.content ?? previous?.content ?? '',
      timestamp: previous?.timestamp ?? new Date().toISOString(),
      edited_timestamp: previous ? new Date().toISOString() : null,
      tts: body.tts ?? previous?.tts ?? false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [...kept, ...uploaded],
      embeds: body.embeds ?? previous?.embeds ?? [],
      components: (body.components ?? previous?.components ?? []) as APIMessage['components'],
      pinned: false,
      flags,
      webhook_id: this.applicationId,
      application_id: this.applicationId,
      ...(invoker
        ? {
            interaction_metadata: {
              id: tracked.id,
              type: tracked.payload.type,
              user: invoker,
              authorizing_integration_owners: tracked.payload.authorizing_integration_owners,
            } as APIMessage['interaction_metadata'],
          }
        : {}),
    };
    tracked.messages.set(message.id, message);
    return message;
  }

  private applicationCommands(record: RecordedRequest, applicationId: string, guildId: string | undefined): Reply {
    if (applicationId !== this.applicationId) return discordError(404, 10002, 'Unknown Application');
    if (guildId !== undefined && !this.guildConfigs.some((guild) => guild.id === guildId)) {
      return discordError(403, 50001, 'Missing Access');
    }
    const scope = guildId ?? 'global';
    if (record.method === 'GET') return { status: 200, body: this.commands(guildId) };

    if (!Array.isArray(record.body)) return discordError(400, 50035, 'Invalid Form Body');
    const definitions = record.body as (CommandOptionInput & Record<string, unknown>)[];
    const errors = new FormErrors();
    const seen = new Set<string>();
    definitions.forEach((definition, index) => {
      const type = definition.type ?? ApplicationCommandType.ChatInput;
      const isChatInput = type === ApplicationCommandType.ChatInput;
      validateName(definition.name, isChatInput, [index, 'name'], errors);
      if (isChatInput) validateDescription(definition.description, [index, 'description'], errors);
      validateOptions(definition.options ?? [], [index, 'options'], errors);
      const key = `${type}:${String(definition.name)}`;
      if (seen.has(key)) errors.add([index, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
      seen.add(key);
    });
    const invalid = errors.reply();
    if (invalid) return invalid;

    const previous = this.commands(guildId);
    const stored = definitions.map((definition) => {
      const type = definition.type ?? ApplicationCommandType.ChatInput;
      const before = previous.find((command) => command.name === definition.name && command.type === type);
      const command = {
        ...definition,
        id: before?.id ?? snowflake(),
        application_id: this.applicationId,
        // Discord bumps the version only when the definition changes.
        version: snowflake(),
        type,
        description: definition.description ?? '',
        default_member_permissions: definition.default_member_permissions ?? null,
        nsfw: definition.nsfw ?? false,
        integration_types: definition.integration_types ?? [ApplicationIntegrationType.GuildInstall],
        contexts: definition.contexts ?? null,
        options: definition.options ?? [],
        ...(guildId === undefined ? {} : { guild_id: guildId }),
      } as APIApplicationCommand;
      if (before && sameDefinition(before, command)) command.version = before.version;
      return command;
    });
    this.commandsByScope.set(scope, stored);
    return { status: 200, body: stored };
  }
}

function sameDefinition(a: APIApplicationCommand, b: APIApplicationCommand): boolean {
  const strip = ({ version: _version, ...rest }: APIApplicationCommand) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

/** The shard Discord routes a guild's events to. */
export function shardOf(guildId: string, shardCount: number): number {
  if (shardCount === 1) return 0;
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
