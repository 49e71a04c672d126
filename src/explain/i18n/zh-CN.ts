/**
 * Simplified Chinese texts of `/explain`.
 *
 * @module
 */
import type { ExplainMessages } from './en.ts';

const back = (steps: number): string => (steps === 0 ? '最后一个词' : `往前第 ${steps} 个词`);

/** Simplified Chinese texts. */
export const zhCN: ExplainMessages = {
  titles: {
    overview: '模型如何阅读，以及 RNN 的局限',
    memory: '记忆随距离衰减',
    vanishing: '梯度消失',
    sequential: '顺序计算',
    unknown: '未知词与罕见词',
    window: '固定窗口与循环',
  },
  topics: {
    memory: '记忆随距离衰减',
    vanishing: '梯度消失',
    sequential: '顺序计算（计时）',
    unknown: '未知词与罕见词',
    window: '固定窗口（三元模型）与循环',
  },
  footer: (version: number) => `-# 模型 v${version} · 所有数字都是为这次请求实时测得的`,
  answeredBy: (model: string, predicted: string, probability: string, lstmPredicted: string, lstmProbability: string) =>
    `\`/predict\` 由 ${model} 回答，这里预测 ${predicted}（${probability}）；下面拆开来看的是单独的 LSTM，它预测 ${lstmPredicted}（${lstmProbability}）。`,
  exampleNote: (text: string) => `没有输入文字，这里用本服务器的一句话作例子：${text}。`,
  unknownTopic: (topic: string, topics: string) => `没有 \`${topic}\` 这个主题；请从 ${topics} 中选择。`,
  allUnknown: '这些词都不在词表里，没有可以拆开来看的预测。',

  memory: {
    intro: (text: string, target: string, probability: string) =>
      `模型读入 ${text}，预测下一个词是 ${target}（${probability}）。它依赖的是哪些词？`,
    occlusionCaption: (target: string) =>
      `**遮挡法**：依次把每个词换成未知词标记，再测一次 p(${target})。条形表示概率下降了多少，数字是遮挡后的新概率（↑ 表示遮挡后反而升高）。`,
    gradientCaption: (target: string) =>
      `**梯度**：∂ log p(${target}) / ∂e 的大小，即对每个位置的词向量 e 求的梯度。数值越大，这个词稍有变化，预测就变得越多。`,
    strongest: (word: string, steps: number, drop: string, replacement: string | null) =>
      `遮挡 ${word}（${back(steps)}）影响最大：概率下降 ${drop} 个百分点。` +
      (replacement === null ? '' : `没有它，模型会改说 ${replacement}。`),
    recentShare: (count: number, share: string) => `最后 ${count} 个位置占了全部梯度大小之和的 ${share}。`,
    truncated: (tokens: number, contextLength: number, dropped: number) =>
      `你的文字有 ${tokens} 个词元，但模型最多只读 ${contextLength} 个：前 ${dropped} 个根本没有被读到。`,
    lesson:
      '记忆为什么会衰减：网络对前面词语的全部了解，都必须经过一个大小固定、每读一个词就改写一次的状态。' +
      'LSTM 的门让它能保留学会要保留的信息，但输入一长，前面的词通常就没那么重要了。',
    chartNote: '附图按位置画出了这两种测量结果。',
  },

  vanishing: {
    intro: (target: string) =>
      `训练时，log p(${target}) 的梯度会沿着时间步一步步往回传（随时间反向传播）。下面是传到每一步隐藏状态 h 和细胞状态 c 的梯度大小（条形表示 h）：`,
    drop: (times: number, word: string, steps: number) =>
      `在 ${word}（往前 ${steps} 步），h 上的梯度降到最后一步的 1/${times.toLocaleString('en')} 以下。`,
    noDrop: (steps: number) => `在这 ${steps} 步里，h 上的梯度从未低于最后一步的十分之一：这个输入上没有丢失数量级。`,
    endToEnd: (word: string, hidden: string, cell: string) => `从最后一步回到 ${word}，h 上的梯度${hidden}，c 上的梯度${cell}。`,
    shrinks: (times: string) => `缩小到 1/${times}`,
    growsBy: (times: string) => `增大到 ${times} 倍`,
    cellKeepsMore: '细胞状态保留得更多：从一步到下一步，c 只乘以遗忘门，这正是 LSTM 对付梯度消失的办法。',
    exploding: '有些较早的步收到的梯度超过最后一步的 10 倍：这是相反的问题，梯度爆炸。',
    lesson: (clipNorm: string | null) =>
      '每往回一步，梯度都要乘上这一步的导数；因子小于 1 就会消失，大于 1 就会爆炸。梯度已经消失的词，几乎影响不到模型从这句话里学到什么。' +
      (clipNorm === null ? '' : `训练时会把梯度总范数限制在 ${clipNorm} 以内，防止爆炸。`),
  },

  sequential: {
    columns: { length: '词数', forward: '整次预测', sequential: '按顺序', batched: '批量' },
    intro: (repeats: number, backend: string) =>
      `刚刚在这台机器上测得（${backend} 后端），每项取 ${repeats} 次运行的中位数，单位毫秒。` +
      '*整次预测*：对一条这么长的输入做一次完整的前向计算。后两列只算 LSTM，细胞更新次数相同：*按顺序* 是对这条输入一步步算，*批量* 是把同样多个单词输入放在一步里一起算。',
    perStep: (milliseconds: string, long: number, short: number, ratio: string) =>
      `每多一个词大约多花 ${milliseconds} 毫秒（最小二乘斜率）；${long} 个词所需时间是 ${short} 个词的 ${ratio} 倍。`,
    batchFaster: (updates: number, sequential: string, batched: string, ratio: string) =>
      `同样 ${updates} 次细胞更新，按顺序要 ${sequential} 毫秒，批量一步只要 ${batched} 毫秒（快 ${ratio} 倍）：第 t 步需要第 t−1 步的状态，所以同一段文字的各步无法并行。`,
    batchNotFaster: (updates: number) => `这一次批量一步并不比按顺序的 ${updates} 步快；机器可能正忙，请再试一次。`,
    lesson: (contextLength: number) =>
      '这就是 RNN 难以扩展到长文本和大语料的原因：计算量随长度增长，而各步又不能分给多个处理器同时算。' +
      `这个模型每次预测最多读 ${contextLength} 个词；训练时每个句子的每个窗口都要付出这个代价。`,
    noise: '_这台机器同时在做别的工作，所以每次测得的时间会有出入。_',
  },

  unknown: {
    intro: (words: number, rareBelow: number) =>
      `模型只为词表里的 ${words} 个词各准备了一个向量。你的输入中它没有的词，或训练时见过不到 ${rareBelow} 次的词：`,
    none: '没有：输入里的每个词都在词表中，而且见过足够多次。',
    unknownWord: (word: string, corpusCount: number) =>
      `${word}：未知词，按 \`<unk>\` 读入；所有未知词共用这一个向量，模型分不出它和别的未知词。` +
      (corpusCount > 0 ? `它现在在本服务器的句子中出现了 ${corpusCount} 次：要么是在模型训练之后才教的，要么是太少见，没进词表。` : ''),
    rareWord: (word: string, count: number) =>
      `${word}：只见过 ${count} 次，它的向量${count === 1 ? '只从一个例子' : `只从 ${count} 个例子`}学来。`,
    withThem: (predictions: string) => `带着它们的预测：${predictions}`,
    withoutThem: (predictions: string) => `去掉它们之后：${predictions}`,
    nothingLeft: '去掉它们之后就没有词可以用来预测了。',
    corpusShare: (share: string) => `本服务器句子里的词，有 ${share} 不在这个模型的词表中。`,
    lesson: '以词为单位的模型，词表在训练时就定死了：它无法从部件拼出新词，罕见词的向量也训练得不好。',
  },

  window: {
    intro: (words: number, window: string) =>
      `Kneser-Ney 三元模型由本服务器的句子统计而来，只透过一个固定窗口看：最后两个词 ${window}。` +
      `就像 NPLM 的 n_step，这个宽度是模型结构的一部分。LSTM 则通过状态读入全部 ${words} 个词。`,
    lstmColumn: (words: number) => `LSTM（${words} 个词）`,
    trigramColumn: '三元模型（2 个词）',
    noCorpus: '本服务器已经没有句子可以用来统计三元模型，所以无从比较。',
    agree: (word: string) => `两者都把 ${word} 排在第一。`,
    differ: (lstmTop: string, trigramOnIt: string, trigramTop: string, lstmOnIt: string) =>
      `LSTM 预测 ${lstmTop}（三元模型给它 ${trigramOnIt}）；三元模型预测 ${trigramTop}（LSTM 给它 ${lstmOnIt}）。`,
    lstmWindowOnly: (window: string, word: string, probability: string) => `如果只给 ${window}，LSTM 自己也会预测 ${word}（${probability}）。`,
    shift: (words: number, share: string) =>
      `前面的 ${words} 个词改变了 LSTM ${share} 的概率质量（有它们与没有它们时两个预测之间的总变差距离）：这些信息三元模型用不上。`,
    sameWords: '输入最多只有两个词，两个模型看到的词相同；差别来自各自的学习方式。',
    disagreement: (share: string) => `总的来说，两个分布相差 ${share}（总变差距离）。`,
    lesson: '循环结构没有固定窗口，这是它胜过 n 元模型和 NPLM 的地方；其他几节展示了这样做的代价，以及它的记忆在哪里衰减。',
  },

  overview: {
    intro: 'RNN 一次读一个词，把读过的内容存在一个大小固定的状态里；LSTM 又加上门和细胞状态，让信息保留得更久。以下是在本服务器模型上测得的：',
    noExample: '本服务器还没有足够长的句子可以拿来做实时例子。',
    example: (text: string, predicted: string, probability: string, actual: string) =>
      `在 ${text}（来自你们的句子）之后，模型预测 ${predicted}（${probability}）；原句接下来是 ${actual}。`,
    memory: (word: string, steps: number, drop: string) => `记忆：遮挡 ${word}（${back(steps)}），预测的概率下降 ${drop} 个百分点。`,
    vanishing: (steps: number, change: string) => `梯度消失：经过 ${steps} 步传回第一个位置时，梯度${change}。`,
    window: (lstm: string, trigram: string) => `固定窗口：只看最后两个词的三元模型预测 ${trigram}；LSTM 预测 ${lstm}。`,
    sequential: (contextLength: number) =>
      `顺序计算：词只能一个接一个地处理（每次预测最多 ${contextLength} 个）；选 \`sequential\` 主题可以在这台机器上计时。`,
    unknown: (words: number, share: string | null) =>
      `未知词：模型认识 ${words} 个词` + (share === null ? '。' : `；本服务器句子里有 ${share} 的词不在它的词表中。`),
    tryIt: '试试用自己的词输入 `/explain text:`，或者选一个 `topic`。',
  },

  chart: {
    title: (target: string) => `预测“${target}”依赖什么`,
    occlusion: '遮挡后概率下降（百分点）',
    gradient: '梯度大小 ‖∂ log p / ∂e‖',
    position: '位置（词序号和词）',
  },
};
