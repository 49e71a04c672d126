/**
 * The storable form of a trained language model: everything needed to answer again later,
 * independent of where it is kept. The store keeps `topology` and `vocabulary` as JSON and
 * `weights` as one binary blob.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../errors.ts';
import { readHyperparameters, type Hyperparameters } from './hyperparameters.ts';
import { LstmLanguageModel } from './model.ts';
import { ModelFormatError } from './model-format.ts';
import { Vocabulary, type VocabularyJSON } from './vocabulary.ts';

/** Identifies the layout of {@link ModelPackage.topology}; bump when it changes. */
export const MODEL_FORMAT = 'lstm-next-word/1';

/** A trained model as plain data. */
export interface ModelPackage {
  topology: { format: string; modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[] };
  weights: ArrayBuffer;
  vocabulary: VocabularyJSON;
  hyperparameters: Hyperparameters;
}

/** A model loaded from a {@link ModelPackage}. */
export interface UnpackedModel {
  model: LstmLanguageModel;
  vocabulary: Vocabulary;
}

/** Turns a model and its vocabulary into plain data. */
export async function packModel(model: LstmLanguageModel, vocabulary: Vocabulary): Promise<ModelPackage> {
  if (model.vocabSize !== vocabulary.size) {
    throw new RangeError(`The model has ${model.vocabSize} ids but the vocabulary ${vocabulary.size}`);
  }
  const { modelTopology, weightSpecs, weightData } = await model.serialize();
  return {
    topology: { format: MODEL_FORMAT, modelTopology, weightSpecs },
    weights: weightData,
    vocabulary: vocabulary.toJSON(),
    hyperparameters: model.hyperparameters,
  };
}

/**
 * Loads a model from plain data read back from storage.
 *
 * @throws ModelFormatError when any part is missing, corrupt or inconsistent.
 */
export async function unpackModel(stored: {
  topology: unknown;
  weights: ArrayBuffer;
  vocabulary: unknown;
  hyperparameters: unknown;
}): Promise<UnpackedModel> {
  const topology = stored.topology as Partial<ModelPackage['topology']> | null;
  if (topology?.format !== MODEL_FORMAT || typeof topology.modelTopology !== 'object' || !Array.isArray(topology.weightSpecs)) {
    throw new ModelFormatError(`The stored model is not in the ${MODEL_FORMAT} format`);
  }
  let vocabulary: Vocabulary;
  let hyperparameters: Hyperparameters;
  try {
    vocabulary = Vocabulary.fromJSON(stored.vocabulary);
    hyperparameters = readHyperparameters(stored.hyperparameters);
  } catch (error) {
    throw new ModelFormatError(errorMessage(error));
  }
  const model = await LstmLanguageModel.deserialize(
    { modelTopology: topology.modelTopology, weightSpecs: topology.weightSpecs, weightData: stored.weights },
    hyperparameters,
  );
  if (model.vocabSize !== vocabulary.size) {
    model.dispose();
    throw new ModelFormatError(`The stored model has ${model.vocabSize} ids but its vocabulary ${vocabulary.size}`);
  }
  return { model, vocabulary };
}
