/**
 * Packs explanation sections into Discord messages of at most 2,000 characters, never splitting a
 * block (a paragraph or a code block) across messages.
 *
 * @module
 */
import { DISCORD_LIMITS, truncate } from '../text/limits.ts';
import { codeBlock } from '../text/markdown.ts';

/** One section of an explanation: a title and blocks of text shown in order. */
export interface Section {
  title: string;
  blocks: string[];
}

/** Room kept on every page for the footer's page number (` · 12/12`). */
const PAGE_NUMBER_ROOM = 12;

/**
 * Code blocks holding `lines`, as many as needed so that each stays within `maxLength`
 * characters (a long table continues in the next block, and so possibly on the next page).
 */
export function codeBlocks(lines: readonly string[], maxLength = 1200): string[] {
  const blocks: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (current.length > 0 && codeBlock([...current, line].join('\n')).length > maxLength) {
      blocks.push(codeBlock(current.join('\n')));
      current = [];
    }
    current.push(line);
  }
  if (current.length > 0) blocks.push(codeBlock(current.join('\n')));
  return blocks;
}

/**
 * Lays sections out on pages: each page starts with its section's title in bold and ends with
 * `footer` and the page number; a section continues on as many pages as it needs.
 */
export function paginate(sections: readonly Section[], footer: string, limit: number = DISCORD_LIMITS.content): string[] {
  const pages: string[][] = [];
  for (const section of sections) {
    const heading = `**${section.title}**`;
    const room = limit - heading.length - footer.length - PAGE_NUMBER_ROOM - 2;
    let page: string[] = [heading];
    let length = 0;
    for (const raw of section.blocks) {
      // A block larger than a page can only be prose here (tables come from codeBlocks): cut it.
      const block = truncate(raw, room);
      if (page.length > 1 && length + block.length + 1 > room) {
        pages.push(page);
        page = [heading];
        length = 0;
      }
      page.push(block);
      length += block.length + 1;
    }
    pages.push(page);
  }
  return pages.map((blocks, index) => [...blocks, `${footer} · ${index + 1}/${pages.length}`].join('\n'));
}
