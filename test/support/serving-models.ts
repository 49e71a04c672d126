/**
 * The serving models of a store, wired as the bot wires them (corpora digested in a pooled worker
 * thread for a file store), with a way to hold a model for the length of a test.
 */
import { CorpusDigester } from '../../src/app/corpus-digester.ts';
import { ModelRegistry, type ModelRegistryOptions, type ServingModel } from '../../src/app/model-registry.ts';
import type { BotServices, ExplainOutcome, ExplainRequest } from '../../src/app/services.ts';
import type { Store } from '../../src/store/index.ts';

/** A registry, its digester, and the models a test holds. */
export interface ServingModels {
  models: ModelRegistry;
  digester: CorpusDigester;
  /** The guild's serving model, held (never disposed) until {@link close}. */
  serve(guildId: string): Promise<ServingModel | null>;
  /** Lets go of the held models, disposes the registry and ends the digester's threads. */
  close(): Promise<void>;
}

export function servingModels(store: Store, options: Omit<ModelRegistryOptions, 'digestCorpus'> = {}): ServingModels {
  const digester = new CorpusDigester(store);
  const models = new ModelRegistry(store, { ...options, digestCorpus: (guildId, vocabulary) => digester.digest(guildId, vocabulary) });
  const held: { letGo: () => void; done: Promise<unknown> }[] = [];
  return {
    models,
    digester,
    serve(guildId) {
      return new Promise((resolve, reject) => {
        let letGo!: () => void;
        const hold = new Promise<void>((release) => {
          letGo = release;
        });
        const done = models
          .use(guildId, (serving) => {
            resolve(serving);
            return hold;
          })
          .catch(reject);
        held.push({ letGo, done });
      });
    },
    async close() {
      for (const { letGo } of held) letGo();
      await Promise.all(held.map(({ done }) => done));
      models.dispose();
      await digester.close();
    },
  };
}

/** The outcome of an explanation the services admit (a test that is refused fails here). */
export function explanationOf(services: BotServices, guildId: string, request: ExplainRequest): Promise<ExplainOutcome> {
  const admission = services.explain(guildId, request);
  if (admission.status === 'busy') throw new Error('the explanation was refused: too many are waiting');
  return admission.outcome;
}
