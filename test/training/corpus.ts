import type { Store } from '../../src/store/store.ts';

/** Ten sentences with clear continuations: 喜欢 -> 吃, 早上 -> 喝, food and drink -> 。 */
export const TINY_CORPUS = [
  '我 喜欢 吃 苹果 。',
  '你 喜欢 吃 米饭 。',
  '他 喜欢 吃 面条 。',
  '她 喜欢 吃 饺子 。',
  '我们 喜欢 吃 苹果 。',
  '我 每天 早上 喝 咖啡 。',
  '你 每天 早上 喝 牛奶 。',
  '他 每天 早上 喝 绿茶 。',
  '她 每天 早上 喝 咖啡 。',
  '他们 每天 早上 喝 牛奶 。',
];

/** Every combination of a few subjects with the two patterns above: enough to hold some out. */
export function templatedCorpus(): string[] {
  const subjects = ['我', '你', '他', '她', '我们', '他们', '你们', '她们'];
  const foods = ['苹果', '米饭', '面条', '饺子'];
  const drinks = ['咖啡', '牛奶', '绿茶'];
  return subjects.flatMap((subject) => [
    ...foods.map((food) => `${subject} 喜欢 吃 ${food} 。`),
    ...drinks.map((drink) => `${subject} 每天 早上 喝 ${drink} 。`),
  ]);
}

/** Adds space-separated sentences to a guild as a member would teach them. */
export function teachSentences(store: Store, guildId: string, sentences: readonly string[], authorId = 'member'): void {
  store.addSentences(
    sentences.map((text) => {
      const tokens = text.split(' ');
      return { guildId, channelId: null, authorId, text, tokens, dedupeKey: tokens.join(' '), source: 'console' as const };
    }),
  );
}

/**
 * Sentences whose object depends on their subject four words back, beyond a 3-gram's window, which
 * counts the rest exactly: a network and the 3-gram go wrong in different places.
 */
export function longRangeCorpus(): string[] {
  const foods: Record<string, string> = { 猫: '鱼', 狗: '骨头', 兔子: '胡萝卜', 鸟: '虫子' };
  const times = ['今天', '每天', '总是', '晚上', '常常', '早上'];
  return Object.entries(foods).flatMap(([animal, food]) =>
    times.flatMap((time) => [`${animal} ${time} 很 想 吃 ${food} 。`, `${animal} ${time} 不 想 睡觉 。`]),
  );
}

/**
 * Enough sentences for a validation split (and so a hyperparameter search): the patterns of
 * {@link longRangeCorpus} over more animals, places and times.
 */
export function searchableCorpus(): string[] {
  const animals = ['猫', '狗', '兔子', '鸟', '鱼', '马', '牛', '羊'];
  const places = ['家里', '外面', '院子里', '河边'];
  const times = ['今天', '每天', '晚上', '早上', '常常', '总是', '有时'];
  return animals.flatMap((animal, a) =>
    places.flatMap((place) => times.map((time, t) => `${animal} ${time} 在 ${place} ${(a + t) % 2 === 0 ? '吃 东西' : '睡觉'} 。`)),
  );
}
