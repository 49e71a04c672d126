/**
 * Code spans and code blocks that stay intact whatever text members put in them, and the word
 * lists built from them.
 *
 * @module
 */

/** Wraps text in a code block, defusing any triple backtick inside it. */
export function codeBlock(text: string): string {
  return `\`\`\`\n${text.replace(/```/g, '`\u200b`\u200b`')}\n\`\`\``;
}

/** Wraps text in an inline code span, using a double-backtick span when it contains a backtick. */
export function inlineCode(text: string): string {
  if (!text.includes('`')) return `\`${text}\``;
  return `\`\` ${text.replace(/``+/g, (run) => run.split('').join('\u200b'))} \`\``;
}

/** Shows tokens the way the model splits them: `我 | 喜欢 | 猫`. */
export function formatTokens(tokens: readonly string[]): string {
  return inlineCode(tokens.join(' | '));
}

/** Shows a list of words as code spans separated by commas. */
export function formatWordList(words: readonly string[]): string {
  return words.map(inlineCode).join(', ');
}
