/**
 * Traditional Chinese texts of `/explain`.
 *
 * @module
 */
import type { ExplainMessages } from './en.ts';

const back = (steps: number): string => (steps === 0 ? '最後一個詞' : `往前第 ${steps} 個詞`);

/** Traditional Chinese texts. */
export const zhTW: ExplainMessages = {
  titles: {
    overview: '模型如何閱讀，以及 RNN 的侷限',
    memory: '記憶隨距離衰減',
    vanishing: '梯度消失',
    sequential: '循序計算',
    unknown: '未知詞與罕見詞',
    window: '固定窗口與循環',
  },
  topics: {
    memory: '記憶隨距離衰減',
    vanishing: '梯度消失',
    sequential: '循序計算（計時）',
    unknown: '未知詞與罕見詞',
    window: '固定窗口（三元模型）與循環',
  },
  footer: (version: number) => `-# 模型 v${version} · 所有數字都是為這次請求即時測得的`,
  answeredBy: (model: string, predicted: string, probability: string, lstmPredicted: string, lstmProbability: string) =>
    `\`/predict\` 由 ${model} 回答，這裡預測 ${predicted}（${probability}）；下面拆開來看的是單獨的 LSTM，它預測 ${lstmPredicted}（${lstmProbability}）。`,
  exampleNote: (text: string) => `沒有輸入文字，這裡用本伺服器的一句話當例子：${text}。`,
  unknownTopic: (topic: string, topics: string) => `沒有 \`${topic}\` 這個主題；請從 ${topics} 中選擇。`,
  allUnknown: '這些詞都不在詞表裡，沒有可以拆開來看的預測。',

  memory: {
    intro: (text: string, target: string, probability: string) =>
      `模型讀入 ${text}，預測下一個詞是 ${target}（${probability}）。它依賴的是哪些詞？`,
    occlusionCaption: (target: string) =>
      `**遮擋法**：依序把每個詞換成未知詞標記，再測一次 p(${target})。長條表示機率下降了多少，數字是遮擋後的新機率（↑ 表示遮擋後反而升高）。`,
    gradientCaption: (target: string) =>
      `**梯度**：∂ log p(${target}) / ∂e 的大小，也就是對每個位置的詞向量 e 求的梯度。數值越大，這個詞稍有變化，預測就變得越多。`,
    strongest: (word: string, steps: number, drop: string, replacement: string | null) =>
      `遮擋 ${word}（${back(steps)}）影響最大：機率下降 ${drop} 個百分點。` +
      (replacement === null ? '' : `少了它，模型會改說 ${replacement}。`),
    recentShare: (count: number, share: string) => `最後 ${count} 個位置佔了全部梯度大小總和的 ${share}。`,
    truncated: (tokens: number, contextLength: number, dropped: number) =>
      `你的文字有 ${tokens} 個詞元，但模型最多只讀 ${contextLength} 個：前 ${dropped} 個根本沒有被讀到。`,
    lesson:
      '記憶為什麼會衰減：網路對前面詞語的全部了解，都必須經過一個大小固定、每讀一個詞就改寫一次的狀態。' +
      'LSTM 的閘讓它能保留學會要保留的資訊，但輸入一長，前面的詞通常就沒那麼重要了。',
    chartNote: '附圖按位置畫出了這兩種測量結果。',
  },

  vanishing: {
    intro: (target: string) =>
      `訓練時，log p(${target}) 的梯度會沿著時間步一步步往回傳（隨時間反向傳播）。下面是傳到每一步隱藏狀態 h 和細胞狀態 c 的梯度大小（長條表示 h）：`,
    drop: (times: number, word: string, steps: number) =>
      `在 ${word}（往前 ${steps} 步），h 上的梯度降到最後一步的 1/${times.toLocaleString('en')} 以下。`,
    noDrop: (steps: number) => `在這 ${steps} 步裡，h 上的梯度從未低於最後一步的十分之一：這個輸入上沒有失去數量級。`,
    endToEnd: (word: string, hidden: string, cell: string) => `從最後一步回到 ${word}，h 上的梯度${hidden}，c 上的梯度${cell}。`,
    shrinks: (times: string) => `縮小到 1/${times}`,
    growsBy: (times: string) => `增大到 ${times} 倍`,
    cellKeepsMore: '細胞狀態保留得更多：從一步到下一步，c 只乘上遺忘閘，這正是 LSTM 對付梯度消失的辦法。',
    exploding: '有些較早的步收到的梯度超過最後一步的 10 倍：這是相反的問題，梯度爆炸。',
    lesson: (clipNorm: string | null) =>
      '每往回一步，梯度都要乘上這一步的導數；因子小於 1 就會消失，大於 1 就會爆炸。梯度已經消失的詞，幾乎影響不到模型從這句話學到什麼。' +
      (clipNorm === null ? '' : `訓練時會把梯度總範數限制在 ${clipNorm} 以內，防止爆炸。`),
  },

  sequential: {
    columns: { length: '詞數', forward: '整次預測', sequential: '循序', batched: '批次' },
    intro: (repeats: number, backend: string) =>
      `剛剛在這台機器上測得（${backend} 後端），每項取 ${repeats} 次執行的中位數，單位毫秒。` +
      '*整次預測*：對一條這麼長的輸入做一次完整的前向計算。後兩欄只算 LSTM，細胞更新次數相同：*循序* 是對這條輸入一步步算，*批次* 是把同樣多個單詞輸入放在一步裡一起算。',
    perStep: (milliseconds: string, long: number, short: number, ratio: string) =>
      `每多一個詞大約多花 ${milliseconds} 毫秒（最小平方斜率）；${long} 個詞所需時間是 ${short} 個詞的 ${ratio} 倍。`,
    batchFaster: (updates: number, sequential: string, batched: string, ratio: string) =>
      `同樣 ${updates} 次細胞更新，循序要 ${sequential} 毫秒，批次一步只要 ${batched} 毫秒（快 ${ratio} 倍）：第 t 步需要第 t−1 步的狀態，所以同一段文字的各步無法平行。`,
    batchNotFaster: (updates: number) => `這一次批次一步並沒有比循序的 ${updates} 步快；機器可能正忙，請再試一次。`,
    lesson: (contextLength: number) =>
      '這就是 RNN 難以擴展到長文本和大語料的原因：計算量隨長度成長，而各步又不能分給多個處理器同時算。' +
      `這個模型每次預測最多讀 ${contextLength} 個詞；訓練時每個句子的每個窗口都要付出這個代價。`,
    noise: '_這台機器同時在做別的工作，所以每次測得的時間會有出入。_',
  },

  unknown: {
    intro: (words: number, rareBelow: number) =>
      `模型只為詞表裡的 ${words} 個詞各準備了一個向量。你的輸入中它沒有的詞，或訓練時見過不到 ${rareBelow} 次的詞：`,
    none: '沒有：輸入裡的每個詞都在詞表中，而且見過足夠多次。',
    unknownWord: (word: string, corpusCount: number) =>
      `${word}：未知詞，以 \`<unk>\` 讀入；所有未知詞共用這一個向量，模型分不出它和別的未知詞。` +
      (corpusCount > 0 ? `它現在在本伺服器的句子中出現了 ${corpusCount} 次：要嘛是在模型訓練之後才教的，要嘛是太少見，沒進詞表。` : ''),
    rareWord: (word: string, count: number) =>
      `${word}：只見過 ${count} 次，它的向量${count === 1 ? '只從一個例子' : `只從 ${count} 個例子`}學來。`,
    withThem: (predictions: string) => `帶著它們的預測：${predictions}`,
    withoutThem: (predictions: string) => `去掉它們之後：${predictions}`,
    nothingLeft: '去掉它們之後就沒有詞可以用來預測了。',
    corpusShare: (share: string) => `本伺服器句子裡的詞，有 ${share} 不在這個模型的詞表中。`,
    lesson: '以詞為單位的模型，詞表在訓練時就定死了：它無法從部件拼出新詞，罕見詞的向量也訓練得不好。',
  },

  window: {
    intro: (words: number, window: string) =>
      `Kneser-Ney 三元模型由本伺服器的句子統計而來，只透過一個固定窗口看：最後兩個詞 ${window}。` +
      `就像 NPLM 的 n_step，這個寬度是模型結構的一部分。LSTM 則透過狀態讀入全部 ${words} 個詞。`,
    lstmColumn: (words: number) => `LSTM（${words} 個詞）`,
    trigramColumn: '三元模型（2 個詞）',
    noCorpus: '本伺服器已經沒有句子可以用來統計三元模型，所以無從比較。',
    agree: (word: string) => `兩者都把 ${word} 排在第一。`,
    differ: (lstmTop: string, trigramOnIt: string, trigramTop: string, lstmOnIt: string) =>
      `LSTM 預測 ${lstmTop}（三元模型給它 ${trigramOnIt}）；三元模型預測 ${trigramTop}（LSTM 給它 ${lstmOnIt}）。`,
    lstmWindowOnly: (window: string, word: string, probability: string) => `如果只給 ${window}，LSTM 自己也會預測 ${word}（${probability}）。`,
    shift: (words: number, share: string) =>
      `前面的 ${words} 個詞改變了 LSTM ${share} 的機率質量（有它們與沒有它們時兩個預測之間的總變差距離）：這些資訊三元模型用不上。`,
    sameWords: '輸入最多只有兩個詞，兩個模型看到的詞相同；差別來自各自的學習方式。',
    disagreement: (share: string) => `整體來說，兩個分布相差 ${share}（總變差距離）。`,
    lesson: '循環結構沒有固定窗口，這是它勝過 n 元模型和 NPLM 的地方；其他幾節展示了這樣做的代價，以及它的記憶在哪裡衰減。',
  },

  overview: {
    intro: 'RNN 一次讀一個詞，把讀過的內容存在一個大小固定的狀態裡；LSTM 又加上閘和細胞狀態，讓資訊保留得更久。以下是在本伺服器模型上測得的：',
    noExample: '本伺服器還沒有夠長的句子可以拿來做即時例子。',
    example: (text: string, predicted: string, probability: string, actual: string) =>
      `在 ${text}（來自你們的句子）之後，模型預測 ${predicted}（${probability}）；原句接下來是 ${actual}。`,
    memory: (word: string, steps: number, drop: string) => `記憶：遮擋 ${word}（${back(steps)}），預測的機率下降 ${drop} 個百分點。`,
    vanishing: (steps: number, change: string) => `梯度消失：經過 ${steps} 步傳回第一個位置時，梯度${change}。`,
    window: (lstm: string, trigram: string) => `固定窗口：只看最後兩個詞的三元模型預測 ${trigram}；LSTM 預測 ${lstm}。`,
    sequential: (contextLength: number) =>
      `循序計算：詞只能一個接一個地處理（每次預測最多 ${contextLength} 個）；選 \`sequential\` 主題可以在這台機器上計時。`,
    unknown: (words: number, share: string | null) =>
      `未知詞：模型認得 ${words} 個詞` + (share === null ? '。' : `；本伺服器句子裡有 ${share} 的詞不在它的詞表中。`),
    tryIt: '試試用自己的詞輸入 `/explain text:`，或者選一個 `topic`。',
  },

  chart: {
    title: (target: string) => `預測「${target}」依賴什麼`,
    occlusion: '遮擋後機率下降（百分點）',
    gradient: '梯度大小 ‖∂ log p / ∂e‖',
    position: '位置（詞序號和詞）',
  },
};
