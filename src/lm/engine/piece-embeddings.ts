/**
 * Word embeddings that share the embeddings of the words' pieces (`word-pieces.ts`): the embedding a
 * word is looked up with is its own vector plus the mean of its pieces' vectors. The network keeps
 * that sum as its ordinary embedding matrix (it saves, loads and predicts unchanged); training
 * keeps the pieces' vectors beside it, passes them their share of the embedding's gradient, and
 * adds what they moved to every word made of them after each step.
 */
import * as tf from '@tensorflow/tfjs';
import type { WordPieces } from '../word-pieces.ts';
import { createTensor, readView, replaceVariable } from './tensor-memory.ts';

/** The pieces' vectors and which words they make up; {@link dispose} after training. */
export class PieceEmbeddings {
  /** [pieces, width], zero at first: the network starts as it would without pieces. */
  readonly vectors: tf.Variable;
  readonly #width: number;
  /** Compressed rows: the pieces of word v are `#pieces[#starts[v]..#starts[v + 1]]`. */
  readonly #starts: Int32Array;
  readonly #pieces: Int32Array;

  constructor(pieces: WordPieces, width: number) {
    this.#width = width;
    this.#starts = new Int32Array(pieces.ofWord.length + 1);
    pieces.ofWord.forEach((ofWord, v) => (this.#starts[v + 1] = this.#starts[v]! + ofWord.length));
    this.#pieces = Int32Array.from(pieces.ofWord.flat());
    const initial = createTensor([pieces.count, width], (values) => values.fill(0));
    this.vectors = tf.variable(initial, true);
    initial.dispose();
  }

  /** The pieces' gradient given the embedding's [vocabulary, width]: each word passes each piece its share. */
  gradient(embeddingGradient: tf.Tensor): tf.Tensor {
    return createTensor(this.vectors.shape, (values) => {
      values.fill(0);
      this.#addShares(values, readView(embeddingGradient), 'word to piece');
    });
  }

  /** A copy of the pieces' vectors, to measure what an optimiser step moved them by. */
  snapshot(): Float32Array {
    return readView(this.vectors).slice();
  }

  /** Adds to each word's embedding the mean of what its pieces moved since `before`. */
  addMoves(embedding: tf.Variable, before: Float32Array): void {
    const moves = readView(this.vectors).slice();
    for (let i = 0; i < moves.length; i++) moves[i] = moves[i]! - before[i]!;
    replaceVariable(embedding, (current, next) => {
      next.set(current);
      this.#addShares(next, moves, 'piece to word');
    });
  }

  dispose(): void {
    this.vectors.dispose();
  }

  /**
   * For every word and each of its pieces, adds the piece's share (1 / the word's pieces) of one
   * row of `from` to one row of `into`: the word's to the piece's, or the piece's to the word's.
   */
  #addShares(into: Float32Array, from: Float32Array, direction: 'word to piece' | 'piece to word'): void {
    const width = this.#width;
    const starts = this.#starts;
    const toPieces = direction === 'word to piece';
    for (let v = 0; v + 1 < starts.length; v++) {
      const start = starts[v]!;
      const end = starts[v + 1]!;
      const share = 1 / (end - start);
      const word = v * width;
      for (let k = start; k < end; k++) {
        const piece = this.#pieces[k]! * width;
        const target = toPieces ? piece : word;
        const source = toPieces ? word : piece;
        for (let j = 0; j < width; j++) into[target + j] = into[target + j]! + share * from[source + j]!;
      }
    }
  }
}
