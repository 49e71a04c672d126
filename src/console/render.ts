/**
 * Renders the neutral replies as terminal text: Discord markdown is reduced to what reads well
 * in a terminal, embeds become indented lines, files are saved and their paths printed.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Embed, OutgoingMessage } from '../commands/types.ts';
import type { Messages } from '../i18n/index.ts';

/** Strips the markdown that only Discord renders; keeps code spans as visible delimiters. */
export function markdownToText(markdown: string): string {
  return markdown
    .split('\n')
    .filter((line) => !/^```\w*$/.test(line))
    .map((line) => line.replace(/^-# /, ''))
    .join('\n')
    .replace(/\*\*(.+?)\*\*/gs, '$1')
    .replace(/<@!?(\d+)>/g, '@$1')
    .replace(/\\([*_~`|>#-])/g, '$1');
}

function embedToText(embed: Embed): string[] {
  return [
    ...(embed.title === undefined ? [] : [markdownToText(embed.title)]),
    ...(embed.description === undefined ? [] : [markdownToText(embed.description)]),
    ...(embed.fields ?? []).map((field) => `  ${markdownToText(field.name)}: ${markdownToText(field.value).replace(/\n/g, '\n    ')}`),
    ...(embed.footer === undefined ? [] : [markdownToText(embed.footer)]),
  ];
}

/** Turns messages into text, saving attached files into one temporary folder per session. */
export class TextRenderer {
  private folder: string | null = null;
  private savedFiles = 0;

  constructor(private readonly messages: Messages) {}

  /** The text of a message; attached files are written out first. */
  render(message: OutgoingMessage): string {
    const lines = [
      ...(message.content === undefined || message.content === '' ? [] : [markdownToText(message.content)]),
      ...(message.embeds ?? []).flatMap(embedToText),
      ...(message.files ?? []).map((file) => this.messages.console.savedFile(file.name, this.save(file.name, file.data))),
    ];
    return lines.join('\n');
  }

  private save(name: string, data: Buffer): string {
    this.folder ??= fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-'));
    this.savedFiles += 1;
    // Numbered so a later chart never overwrites one printed earlier.
    const file = path.join(this.folder, `${this.savedFiles}-${path.basename(name)}`);
    fs.writeFileSync(file, data);
    return file;
  }
}
