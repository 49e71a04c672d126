/**
 * Sends a planned load of ordinary interactions to a fake Discord and measures each answer: what
 * the scenarios that load a bot (in this process or in others) share.
 *
 * @module
 */
import type { FakeDiscord, InteractionHandle, InteractionResponse } from '../../test/support/fake-discord.ts';
import { MEMBER_PERMISSIONS, autocomplete, slashCommand } from '../../test/support/interactions.ts';
import type { OrdinaryKind, PlannedInteraction } from './load.ts';

/** How long one interaction may take to its final response before it counts as unanswered. */
const ANSWER_TIMEOUT_MS = 60_000;

/** What the driver measured for one interaction. */
export interface Measured {
  kind: OrdinaryKind;
  /** Dispatch to the first accepted response, or null when none came. */
  firstMs: number | null;
  /** Dispatch to the response that carries the answer (the edit of a deferred reply). */
  finalMs: number | null;
  /** The answer showed a result rather than a refusal (table, choices, sentence learned). */
  useful: boolean;
}

export interface DriverResult {
  measured: Measured[];
  wallMs: number;
  /** Responses of the bot that the fake refused, by status (e.g. 404 for a late acknowledgement). */
  refusedStatuses: Record<string, number>;
}

/** Sends the plan with `concurrency` interactions in flight, each until its final response. */
export async function drive(fake: FakeDiscord, plan: readonly PlannedInteraction[], concurrency: number): Promise<DriverResult> {
  const firstRequest = fake.requests.length;
  const measured: Measured[] = new Array(plan.length);
  let nextIndex = 0;
  const started = performance.now();
  const lane = async () => {
    while (nextIndex < plan.length) {
      const index = nextIndex++;
      measured[index] = await interact(fake, plan[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.length) }, lane));
  const wallMs = performance.now() - started;
  const refusedStatuses: Record<string, number> = {};
  for (const request of fake.requests.slice(firstRequest)) {
    if (request.status >= 400) refusedStatuses[request.status] = (refusedStatuses[request.status] ?? 0) + 1;
  }
  return { measured, wallMs, refusedStatuses };
}

async function interact(fake: FakeDiscord, planned: PlannedInteraction): Promise<Measured> {
  const common = { applicationId: fake.applicationId, guildId: planned.guildId, user: { id: planned.userId }, permissions: MEMBER_PERMISSIONS };
  let handle: InteractionHandle;
  if (planned.kind === 'autocomplete') {
    handle = fake.sendInteraction(autocomplete({ ...common, name: 'predict', options: { text: planned.text }, focused: 'text' }));
  } else if (planned.kind === 'predict') {
    handle = fake.sendInteraction(slashCommand({ ...common, name: 'predict', options: { text: planned.text } }));
  } else {
    handle = fake.sendInteraction(slashCommand({ ...common, name: 'teach', options: { sentence: planned.text } }));
  }
  const carriesAnswer = (response: InteractionResponse) => (planned.kind === 'predict' ? response.kind === 'edit' : response.kind === 'callback');
  const final = await fake.waitFor(handle, carriesAnswer, ANSWER_TIMEOUT_MS).catch(() => null);
  const first = handle.responses[0];
  const content = final?.body.content ?? final?.body.data?.content ?? '';
  const useful =
    planned.kind === 'autocomplete'
      ? (final?.body.data?.choices?.length ?? 0) > 0
      : planned.kind === 'predict'
        ? content.startsWith('**')
        : content.startsWith('Learned');
  return { kind: planned.kind, firstMs: first?.atMs ?? null, finalMs: final?.atMs ?? null, useful };
}

