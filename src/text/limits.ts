/**
 * Discord's size limits on what the bot sends, defined once: replies are cut to them instead of
 * being refused whole, and the console shows the same text.
 *
 * @module
 */

/** Discord's limits, in UTF-16 units for texts (as Discord counts them) and in items for lists. */
export const DISCORD_LIMITS = {
  /** Text of one message. */
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Suggestions in one autocomplete answer. */
  choices: 25,
  /** Name and value of one suggestion. */
  choiceText: 100,
} as const;

/** Cuts a text to at most `max` UTF-16 units (Discord's limits count those), ending with `…`. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  // Never split a surrogate pair: a lone half would be shown as a replacement character.
  if (/[\ud800-\udbff]/.test(text[cut - 1] ?? '')) cut -= 1;
  return `${text.slice(0, cut)}…`;
}
