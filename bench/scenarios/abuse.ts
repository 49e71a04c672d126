/**
 * Scenario `abuse`: no member can stall the bot, no number of servers exhausts its memory, and no
 * server starves the others of training.
 * Runs its parts one after the other (`--part` picks one) and prints each part's figures; exits
 * non-zero when a target is missed.
 *
 * - `flood` (`abuse/flood.ts`): members sending `/explain` and `/generate length:50` as fast as
 *   Discord allows while 1,000 ordinary interactions run at concurrency 50 and a retrain runs:
 *   every interaction acknowledged within 3 s, the bot's event-loop delay p99 under 50 ms.
 * - `many-servers` (`abuse/many-servers.ts`): 2,000 servers with a model each, requests spread over
 *   them: resident memory under 1.5 GB, no failed load.
 * - `queue` (`abuse/queue.ts`): 50 servers queued for their first model while one server teaches 4
 *   and forgets 1 sentence every minute: the median queued server has its model within 2 × its own
 *   training time.
 *
 * @module
 */
import { integerOption, positiveNumberOption } from '../lib/args.ts';
import { DEFAULT_CORPUS, displayPath, readCorpus } from '../lib/corpus.ts';
import { describeMachine, machineLine } from '../lib/machine.ts';
import { defineScenario, UsageError } from '../lib/scenario.ts';
import { runFlood } from './abuse/flood.ts';
import { runManyServers } from './abuse/many-servers.ts';
import type { PartReport } from './abuse/part.ts';
import { runQueue, sentenceRange } from './abuse/queue.ts';

const PARTS = ['flood', 'many-servers', 'queue'] as const;
type Part = (typeof PARTS)[number];

export default defineScenario({
  summary: 'members flooding /explain and /generate beside ordinary load and a retrain; 2,000 servers with a model each; servers queued beside one that teaches and forgets every minute: acknowledgements, event-loop delay, memory, waits',
  usage: `  --part NAME          flood, many-servers or queue (default: all, one after the other)
  flood:
  --abusers N          members flooding /explain and /generate (default 20)
  --gap-ms N           least time between two commands of one of them (default 250)
  --interactions N     ordinary interactions (default 1000)
  --concurrency N      ordinary interactions in flight (default 50)
  --guilds N           servers (default 5)
  --retrain-sentences N
                       sentences server 1 retrains on during the load (default 3000)
  --corpus FILE        one sentence per line (default: data/sample-corpus.txt; queue uses it too)
  many-servers:
  --servers N          servers with a model each (default 2000)
  --requests N         requests spread over them (default 6000)
  --request-concurrency N
                       requests in flight (default 16)
  queue:
  --queued-servers N   servers that ask for their first model (default 50)
  --arrival-seconds S  seconds between two of their requests (default 15)
  --server-sentences A-B
                       sentences of each, spread over this range (default 60-240)
  --abuser-sentences N sentences of the server that teaches and forgets (default 3000)`,
  options: {
    part: { type: 'string' },
    abusers: { type: 'string' },
    'gap-ms': { type: 'string' },
    interactions: { type: 'string' },
    concurrency: { type: 'string' },
    guilds: { type: 'string' },
    'retrain-sentences': { type: 'string' },
    corpus: { type: 'string', default: DEFAULT_CORPUS },
    servers: { type: 'string' },
    requests: { type: 'string' },
    'request-concurrency': { type: 'string' },
    'queued-servers': { type: 'string' },
    'arrival-seconds': { type: 'string' },
    'server-sentences': { type: 'string' },
    'abuser-sentences': { type: 'string' },
  },

  async run(values) {
    const part = values.part;
    if (part !== undefined && !PARTS.includes(part as Part)) throw new UsageError(`--part must be one of ${PARTS.join(', ')}, got "${part}"`);
    const parts = part === undefined ? PARTS : [part as Part];
    const reports: Partial<Record<Part, PartReport>> = {};
    if (parts.includes('flood')) {
      const corpus = readCorpus(values.corpus);
      const guilds = integerOption(values.guilds, 'guilds', 5);
      if (corpus.length < guilds * 5) throw new UsageError(`--corpus needs at least ${guilds * 5} sentences for ${guilds} servers`);
      reports.flood = await runFlood({
        abusers: integerOption(values.abusers, 'abusers', 20),
        gapMs: integerOption(values['gap-ms'], 'gap-ms', 250),
        interactions: integerOption(values.interactions, 'interactions', 1000),
        concurrency: integerOption(values.concurrency, 'concurrency', 50),
        guilds,
        retrainSentences: integerOption(values['retrain-sentences'], 'retrain-sentences', 3000),
        corpus,
        corpusName: displayPath(values.corpus),
      });
    }
    if (parts.includes('many-servers')) {
      reports['many-servers'] = await runManyServers({
        servers: integerOption(values.servers, 'servers', 2000),
        requests: integerOption(values.requests, 'requests', 6000),
        concurrency: integerOption(values['request-concurrency'], 'request-concurrency', 16),
      });
    }
    if (parts.includes('queue')) {
      const [smallest, largest] = sentenceRange(values['server-sentences']);
      reports.queue = await runQueue({
        servers: integerOption(values['queued-servers'], 'queued-servers', 50),
        arrivalSeconds: positiveNumberOption(values['arrival-seconds'], 'arrival-seconds', 15),
        smallest,
        largest,
        abuserSentences: integerOption(values['abuser-sentences'], 'abuser-sentences', 3000),
        corpus: readCorpus(values.corpus),
        corpusName: displayPath(values.corpus),
      });
    }
    const { initBackend } = await import('../../src/lm/backend.ts');
    const machine = describeMachine(await initBackend());
    const done = Object.values(reports);
    const missedTargets = done.flatMap((report) => report.missed);
    return {
      result: { machine, parts: Object.fromEntries(Object.entries(reports).map(([name, report]) => [name, report.result])), missedTargets },
      text: [
        `machine: ${machineLine(machine)}`,
        ...done.map((report) => `\n${report.text}`),
        '',
        missedTargets.length === 0 ? 'every target met' : `targets missed:\n${missedTargets.map((line) => `  ${line}`).join('\n')}`,
      ].join('\n'),
      missedTargets,
    };
  },
});
