/**
 * `/explain [text] [topic]`: placeholder until the explanation feature lands.
 *
 * @module
 */
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin } from '../src/commands/types.ts';
import { messagesFor } from '../src/i18n/index.ts';

const explain: CommandPlugin = {
  data: guildCommand('explain', (m) => m.commands.explain.description)
    .addStringOption((option) => describe(option.setName('text').setMaxLength(300), (m) => m.commands.explain.options.text))
    .addStringOption((option) => describe(option.setName('topic').setMaxLength(100), (m) => m.commands.explain.options.topic)),

  async execute(ctx) {
    await ctx.reply({ content: messagesFor(ctx.locale).explain.placeholder, ephemeral: true });
  },
};

export default explain;
