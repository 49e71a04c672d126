/**
 * Traditional Chinese messages (Taiwan usage).
 *
 * @module
 */
import { modelKindIn, type Messages } from './en.ts';

/** Traditional Chinese texts. */
export const zhTW: Messages = {
  commands: {
    teach: {
      description: '教機器人一句話，照這裡大家平常說話的方式寫',
      options: { sentence: '要學習的句子（最多 300 個字元）' },
    },
    predict: {
      description: '顯示一段文字之後最可能出現的下一個詞',
      options: { text: '要接著往下預測的詞', count: '顯示幾個候選詞（1-10）' },
    },
    generate: {
      description: '讓模型從幾個詞開始往下寫',
      options: {
        start: '開頭的詞',
        length: '要加上多少個詞（1-50）',
        temperature: '創造力：0.1 只選最可能的詞，2.0 更大膽',
      },
    },
    retrain: {
      description: '立即重新訓練本伺服器的模型並查看訓練進度',
      options: { full: '從頭開始訓練，而不是在目前模型的基礎上繼續' },
    },
    stats: {
      description: '本伺服器的語料、詞彙、模型與訓練資料',
      options: {},
    },
    forget: {
      description: '刪除教過的句子',
      options: {
        sentence: '要刪除的句子（輸入文字即可搜尋）',
        all: '刪除你的所有句子（或所選成員的所有句子）',
        member: '管理員：要刪除其句子的成員',
      },
    },
    sentences: {
      description: '教過的句子：列出，或以檔案取得',
      list: {
        description: '列出最近教過的句子及其編號',
        options: { page: '頁碼', member: '只顯示該成員的句子' },
      },
      export: {
        description: '私下取得你在本伺服器教過的句子（文字檔）',
        options: { scope: '誰的句子：你自己的（預設），或管理員可選整個伺服器的' },
        scopes: { mine: '我的', server: '整個伺服器' },
      },
    },
    explain: {
      description: '解釋模型是如何得出預測的',
      options: { text: '要解釋其預測的詞', topic: '要解釋的內容' },
    },
  },

  common: {
    noModel: (sentences, needed) =>
      `還沒有模型：目前已教了 ${sentences} 句，` +
      (needed > 0 ? `第一次訓練前還需要 ${needed} 句。請使用 \`/teach\`。` : '已足夠進行第一次訓練，訓練很快就會開始。'),
    emptyInput: '請至少輸入一個詞。',
    unknownWords: (words) => `詞彙表中還沒有：${words}`,
    modelFooter: (version, kind) => `模型 v${version}（${kind}）`,
    modelKind: modelKindIn('，', '指數'),
    none: '無',
    busy: '我正忙著處理其他成員的請求，請過幾秒再試。',
  },

  errors: {
    guildOnly: '這些指令只能在伺服器中使用：每個伺服器都訓練自己的模型。',
    unknownCommand: (name) => `未知的指令 \`/${name}\`。`,
    internalError: (reference) => `我這邊出了點問題（參考編號 \`${reference}\`），請稍後再試。`,
    needsManageGuild: '只有擁有 **管理伺服器** 權限的成員才能執行此操作。',
    cooldownMember: (seconds) => `你使用這個指令太頻繁了，請等 ${seconds} 秒後再試。`,
    cooldownServer: (seconds) => `這個伺服器現在使用這個指令太頻繁了，請等 ${seconds} 秒後再試。`,
  },

  teach: {
    added: (tokens) => `學會了，模型看到的是：${tokens}`,
    removedMarkup: (count) => `已去掉 ${count} 個提及或連結。`,
    untilRetrain: (count) =>
      count > 0 ? `再教 ${count} 句新句子就會重新訓練。` : '新句子已足夠：下一次定時訓練會包含這句話。',
    empty: '句子是空的。',
    tooLong: (length, max) => `句子太長了：${length} 個字元，最多 ${max} 個。`,
    tooManyTokens: (tokens, max) => `句子的詞太多了：${tokens} 個，最多 ${max} 個。`,
    noWords: '句子裡沒有詞（只有標點、符號、提及或連結）。',
    duplicate: (id) => `這句話已經學過了（#${id}）。`,
    cooldown: (seconds) => `你教得太快了，請等 ${seconds} 秒後再試。`,
  },

  predict: {
    title: (text) => `${text} 之後的下一個詞`,
    truncated: (count, used) => `只用了最後 ${count} 個詞：${used}`,
    allUnknown: (words) => `這些詞都還不認識：${words}。請用 \`/teach\` 教一些包含它們的句子。`,
  },

  generate: {
    result: (text) => `生成結果：${text}`,
  },

  retrain: {
    started: '正在重新訓練本伺服器的模型……',
    joined: '本伺服器已有一次訓練正在進行，以下是它的進度。',
    phases: {
      queued: '正在排隊',
      preparing: '正在準備資料',
      'cross-validating': '正在用留出的句子交叉驗證設定',
      training: '正在訓練',
      refitting: '正在用全部句子（包括留出的句子）重新訓練',
      saving: '正在儲存模型',
    },
    progress: (epoch, maxEpochs, phase) => `第 ${epoch}/${maxEpochs} 輪，${phase}`,
    crossValidation: (training, trainings) => `正在用留出的句子交叉驗證設定：第 ${training}/${trainings} 次訓練`,
    loss: (loss) => `損失 ${loss}`,
    eta: (duration) => `大約還需 ${duration}`,
    resultInChannel: '這次訓練的時間超過了 Discord 允許我更新這則訊息的時限：訓練結束後我會把結果發到這個頻道（`/stats` 裡也能看到）。',
    succeeded: '訓練完成',
    failed: (cause, runId) => `訓練失敗：${cause}（參考：訓練編號 ${runId}）。`,
    cancelled: '訓練已取消。',
    fullNotDue: (wait) => `本伺服器最近剛完整重新訓練過，下一次要等 ${wait} 後才能開始。一般的 \`/retrain\` 現在就能在目前的模型上繼續訓練。`,
    fields: {
      sentences: '句子數',
      vocabulary: '詞彙量',
      loss: '損失（訓練 / 驗證）',
      accuracy: '驗證準確率',
      duration: '耗時',
      version: '模型版本',
      promoted: '是否啟用',
    },
    promoted: '是，從現在起由這個模型回答',
    notPromoted: (reason) => `否，繼續使用先前的模型：${reason}`,
    notPromotedNoReason: '否，繼續使用先前的模型',
  },

  stats: {
    title: '伺服器統計',
    fields: {
      sentences: '句子數',
      contributors: '貢獻者',
      vocabulary: '詞彙量',
      model: '模型',
      metrics: '最近一次訓練',
      served: '回答模型',
      nextRetrain: '下次訓練',
      lastRun: '上次執行',
    },
    noModel: '尚無',
    model: (version, kind, age, corpus) => `v${version}（${kind}），${age}用 ${corpus} 句訓練`,
    metrics: (validationLoss, accuracy, weights) => `驗證損失 ${validationLoss}，準確率 ${accuracy}（${weights}）`,
    served: (kind, mix, lstm, kneserNey, folds) =>
      `${kind}；${folds === null ? '驗證' : `${folds} 折交叉驗證`}困惑度：混合 ${mix}，LSTM ${lstm}，3-gram ${kneserNey}`,
    keptEpoch: (epoch, epochs) => `共 ${epochs} 輪，取第 ${epoch} 輪的權重`,
    refitted: (sentences) => `，再用全部 ${sentences} 個句子重新訓練`,
    keptAverage: (snapshots, epochs) => `共 ${epochs} 輪，取最後幾輪 ${snapshots} 個權重快照的平均`,
    notDue: (changes, threshold) => `暫不需要：自上個模型以來新增 ${changes}/${threshold} 句`,
    retrying: (failures, maxAttempts, when) => `已失敗 ${failures}/${maxAttempts} 次，下一次嘗試：${when}`,
    retriesStopped: (failures) => `連續失敗 ${failures} 次後已停止自動訓練；管理員使用 \`/retrain\` 可再次嘗試`,
    lastRun: (status, when) => `${status}，${when}`,
    lastRunFailure: (cause, runId) => `${cause}（參考：訓練編號 ${runId}）`,
    runStatus: { queued: '排隊中', running: '進行中', succeeded: '成功', failed: '失敗', cancelled: '已取消' },
  },

  runFailures: {
    interrupted: '被機器人的停止或重新啟動打斷了',
    out_of_memory: '記憶體不足',
    diverged: '訓練變得不穩定',
    no_sentences: '沒有可以訓練的句子',
    crashed: '訓練意外中止',
    internal: '發生了內部錯誤',
  },

  forget: {
    removedOne: (id) => `句子 #${id} 已刪除。`,
    notFound: (id) => `本伺服器中沒有你的句子 #${id}。`,
    removedAllOwn: (count) => `已刪除你的 ${count} 句句子。`,
    removedAllOf: (count, member) => `已刪除 ${member} 的 ${count} 句句子。`,
    nothingChosen: '請選擇一個 `sentence`，或將 `all` 設為 true。',
    cooldown: (seconds) => `你刪除句子太快了，請等 ${seconds} 秒後再試。`,
    othersNeedManageGuild: '只有擁有 **管理伺服器** 權限的成員才能刪除其他成員的句子。',
  },

  sentences: {
    title: (page, pageCount, total) => `句子，第 ${page}/${pageCount} 頁（共 ${total} 句）`,
    titleOf: (member, page, pageCount, total) => `${member} 的句子，第 ${page}/${pageCount} 頁（共 ${total} 句）`,
    empty: '還沒有句子。',
    more: (next) => `下一頁：\`/sentences list page:${next}\``,
    exported: (count) => `你在本伺服器教過的 ${count} 個句子，每行一句。`,
    exportedServer: (count) => `本伺服器的全部 ${count} 個句子，每行一句，不含是誰教的。`,
    nothingToExport: '你還沒有在本伺服器教過句子。',
    exportNeedsManageGuild: '只有擁有 **管理伺服器** 權限的成員才能匯出整個伺服器的句子。',
  },

  console: {
    help: '指令（輸入 `/指令 值` 或 `/指令 選項:值`）：',
    helpExit: '/help 列出指令，/exit 離開。',
    notACommand: '指令以 `/` 開頭；試試 /help。',
    missingOption: (command, option) => `/${command} 需要 \`${option}\`；試試 /help。`,
    invalidOption: (option, expected) => `\`${option}\` 需要：${expected}。`,
    unexpectedText: (command, text) => `/${command} 不知道如何處理 \`${text}\`；試試 /help。`,
    chooseSubcommand: (command, names) => `/${command} 後面要先寫 ${names.map((name) => `\`${name}\``).join('、')} 其中之一；試試 /help。`,
    expected: {
      integer: (min, max) => `${min} 到 ${max} 之間的整數`,
      number: (min, max) => `${min} 到 ${max} 之間的數字`,
      boolean: 'true 或 false',
      user: '成員 ID 或提及',
      string: (max) => `最多 ${max} 個字元的文字`,
    },
    savedFile: (name, file) => `[檔案 ${name}：${file}]`,
  },

  time: {
    seconds: (s) => `${s}秒`,
    minutes: (m, s) => (s > 0 ? `${m}分${s}秒` : `${m}分鐘`),
    hours: (h, m) => (m > 0 ? `${h}小時${m}分` : `${h}小時`),
  },
};
