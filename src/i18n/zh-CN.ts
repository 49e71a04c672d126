/**
 * Simplified Chinese messages.
 *
 * @module
 */
import { modelKindIn, type Messages } from './en.ts';

/** Simplified Chinese texts. */
export const zhCN: Messages = {
  commands: {
    teach: {
      description: '教机器人一句话，按这里大家平时说话的方式写',
      options: { sentence: '要学习的句子（最多 300 个字符）' },
    },
    predict: {
      description: '显示一段文字之后最可能出现的下一个词',
      options: { text: '要接着往下预测的词', count: '显示几个候选词（1-10）' },
    },
    generate: {
      description: '让模型从几个词开始往下写',
      options: {
        start: '开头的词',
        length: '要添加多少个词（1-50）',
        temperature: '创造力：0.1 只选最可能的词，2.0 更大胆',
      },
    },
    retrain: {
      description: '立即重新训练本服务器的模型并查看训练进度',
      options: { full: '从头开始训练，而不是在当前模型基础上继续' },
    },
    stats: {
      description: '本服务器的语料、词汇、模型和训练数据',
      options: {},
    },
    forget: {
      description: '删除教过的句子',
      options: {
        sentence: '要删除的句子（输入文字即可搜索）',
        all: '删除你的全部句子（或所选成员的全部句子）',
        member: '管理员：要删除其句子的成员',
      },
    },
    sentences: {
      description: '教过的句子：列出，或以文件获取',
      list: {
        description: '列出最近教过的句子及其编号',
        options: { page: '页码', member: '只显示该成员的句子' },
      },
      export: {
        description: '私下获取你在本服务器教过的句子（文本文件）',
        options: { scope: '谁的句子：你自己的（默认），或管理员可选整个服务器的' },
        scopes: { mine: '我的', server: '整个服务器' },
      },
    },
    explain: {
      description: '解释模型是如何得出预测的',
      options: { text: '要解释其预测的词', topic: '要解释的内容' },
    },
  },

  common: {
    noModel: (sentences, needed) =>
      `还没有模型：目前已教了 ${sentences} 句，` +
      (needed > 0 ? `首次训练前还需要 ${needed} 句。请使用 \`/teach\`。` : '已足够进行首次训练，训练很快就会开始。'),
    emptyInput: '请至少输入一个词。',
    unknownWords: (words) => `词汇表中还没有：${words}`,
    modelFooter: (version, kind) => `模型 v${version}（${kind}）`,
    modelKind: modelKindIn('，', '指数'),
    none: '无',
    busy: '我正忙着处理其他成员的请求，请过几秒再试。',
  },

  errors: {
    guildOnly: '这些命令只能在服务器中使用：每个服务器都训练自己的模型。',
    unknownCommand: (name) => `未知命令 \`/${name}\`。`,
    internalError: (reference) => `我这边出了点问题（参考编号 \`${reference}\`），请稍后再试。`,
    needsManageGuild: '只有拥有 **管理服务器** 权限的成员才能执行此操作。',
    cooldownMember: (seconds) => `你使用这个命令太频繁了，请等 ${seconds} 秒后再试。`,
    cooldownServer: (seconds) => `这个服务器现在使用这个命令太频繁了，请等 ${seconds} 秒后再试。`,
  },

  teach: {
    added: (tokens) => `已学会，模型看到的是：${tokens}`,
    removedMarkup: (count) => `已去掉 ${count} 个提及或链接。`,
    untilRetrain: (count) =>
      count > 0 ? `再教 ${count} 句新句子就会重新训练。` : '新句子已足够：下一次定时训练会包含这句话。',
    empty: '句子是空的。',
    tooLong: (length, max) => `句子太长了：${length} 个字符，最多 ${max} 个。`,
    tooManyTokens: (tokens, max) => `句子的词太多了：${tokens} 个，最多 ${max} 个。`,
    noWords: '句子里没有词（只有标点、符号、提及或链接）。',
    duplicate: (id) => `这句话已经学过了（#${id}）。`,
    cooldown: (seconds) => `你教得太快了，请等 ${seconds} 秒后再试。`,
  },

  predict: {
    title: (text) => `${text} 之后的下一个词`,
    truncated: (count, used) => `只用了最后 ${count} 个词：${used}`,
    allUnknown: (words) => `这些词都还不认识：${words}。请用 \`/teach\` 教一些包含它们的句子。`,
  },

  generate: {
    result: (text) => `生成结果：${text}`,
  },

  retrain: {
    started: '正在重新训练本服务器的模型……',
    joined: '本服务器已有一次训练正在进行，下面是它的进度。',
    phases: {
      queued: '正在排队',
      preparing: '正在准备数据',
      'cross-validating': '正在用留出的句子交叉验证设置',
      training: '正在训练',
      refitting: '正在用全部句子（包括留出的句子）重新训练',
      saving: '正在保存模型',
    },
    progress: (epoch, maxEpochs, phase) => `第 ${epoch}/${maxEpochs} 轮，${phase}`,
    crossValidation: (training, trainings) => `正在用留出的句子交叉验证设置：第 ${training}/${trainings} 次训练`,
    loss: (loss) => `损失 ${loss}`,
    eta: (duration) => `大约还需 ${duration}`,
    resultInChannel: '这次训练的时间超过了 Discord 允许我更新这条消息的时限：训练结束后我会把结果发到这个频道（`/stats` 里也能看到）。',
    succeeded: '训练完成',
    failed: (cause, runId) => `训练失败：${cause}（参考：训练编号 ${runId}）。`,
    cancelled: '训练已取消。',
    fullNotDue: (wait) => `本服务器最近刚完整重新训练过，下一次要等 ${wait} 后才能开始。普通的 \`/retrain\` 现在就能在当前模型上继续训练。`,
    fields: {
      sentences: '句子数',
      vocabulary: '词汇量',
      loss: '损失（训练 / 验证）',
      accuracy: '验证准确率',
      duration: '用时',
      version: '模型版本',
      promoted: '是否启用',
    },
    promoted: '是，从现在起由这个模型回答',
    notPromoted: (reason) => `否，继续使用之前的模型：${reason}`,
    notPromotedNoReason: '否，继续使用之前的模型',
  },

  stats: {
    title: '服务器统计',
    fields: {
      sentences: '句子数',
      contributors: '贡献者',
      vocabulary: '词汇量',
      model: '模型',
      metrics: '最近一次训练',
      served: '回答模型',
      nextRetrain: '下次训练',
      lastRun: '上次运行',
    },
    noModel: '暂无',
    model: (version, kind, age, corpus) => `v${version}（${kind}），${age}用 ${corpus} 句训练`,
    metrics: (validationLoss, accuracy, weights) => `验证损失 ${validationLoss}，准确率 ${accuracy}（${weights}）`,
    served: (kind, mix, lstm, kneserNey, folds) =>
      `${kind}；${folds === null ? '验证' : `${folds} 折交叉验证`}困惑度：混合 ${mix}，LSTM ${lstm}，3-gram ${kneserNey}`,
    keptEpoch: (epoch, epochs) => `共 ${epochs} 轮，取第 ${epoch} 轮的权重`,
    refitted: (sentences) => `，再用全部 ${sentences} 个句子重新训练`,
    keptAverage: (snapshots, epochs) => `共 ${epochs} 轮，取最后几轮 ${snapshots} 个权重快照的平均`,
    notDue: (changes, threshold) => `暂不需要：自上个模型以来新增 ${changes}/${threshold} 句`,
    retrying: (failures, maxAttempts, when) => `已失败 ${failures}/${maxAttempts} 次，下一次尝试：${when}`,
    retriesStopped: (failures) => `连续失败 ${failures} 次后已停止自动训练；管理员使用 \`/retrain\` 可再次尝试`,
    lastRun: (status, when) => `${status}，${when}`,
    lastRunFailure: (cause, runId) => `${cause}（参考：训练编号 ${runId}）`,
    runStatus: { queued: '排队中', running: '进行中', succeeded: '成功', failed: '失败', cancelled: '已取消' },
  },

  runFailures: {
    interrupted: '被机器人的停止或重启打断了',
    out_of_memory: '内存不足',
    diverged: '训练变得不稳定',
    no_sentences: '没有可以训练的句子',
    crashed: '训练意外中止',
    internal: '发生了内部错误',
  },

  forget: {
    removedOne: (id) => `句子 #${id} 已删除。`,
    notFound: (id) => `本服务器中没有你的句子 #${id}。`,
    removedAllOwn: (count) => `已删除你的 ${count} 句句子。`,
    removedAllOf: (count, member) => `已删除 ${member} 的 ${count} 句句子。`,
    nothingChosen: '请选择一个 `sentence`，或将 `all` 设为 true。',
    cooldown: (seconds) => `你删除句子太快了，请等 ${seconds} 秒后再试。`,
    othersNeedManageGuild: '只有拥有 **管理服务器** 权限的成员才能删除其他成员的句子。',
  },

  sentences: {
    title: (page, pageCount, total) => `句子，第 ${page}/${pageCount} 页（共 ${total} 句）`,
    titleOf: (member, page, pageCount, total) => `${member} 的句子，第 ${page}/${pageCount} 页（共 ${total} 句）`,
    empty: '还没有句子。',
    more: (next) => `下一页：\`/sentences list page:${next}\``,
    exported: (count) => `你在本服务器教过的 ${count} 个句子，每行一句。`,
    exportedServer: (count) => `本服务器的全部 ${count} 个句子，每行一句，不含是谁教的。`,
    nothingToExport: '你还没有在本服务器教过句子。',
    exportNeedsManageGuild: '只有拥有 **管理服务器** 权限的成员才能导出整个服务器的句子。',
  },

  console: {
    help: '命令（输入 `/命令 值` 或 `/命令 选项:值`）：',
    helpExit: '/help 列出命令，/exit 退出。',
    notACommand: '命令以 `/` 开头；试试 /help。',
    missingOption: (command, option) => `/${command} 需要 \`${option}\`；试试 /help。`,
    invalidOption: (option, expected) => `\`${option}\` 需要：${expected}。`,
    unexpectedText: (command, text) => `/${command} 不知道如何处理 \`${text}\`；试试 /help。`,
    chooseSubcommand: (command, names) => `/${command} 后面要先写 ${names.map((name) => `\`${name}\``).join('、')} 之一；试试 /help。`,
    expected: {
      integer: (min, max) => `${min} 到 ${max} 之间的整数`,
      number: (min, max) => `${min} 到 ${max} 之间的数字`,
      boolean: 'true 或 false',
      user: '成员 ID 或提及',
      string: (max) => `最多 ${max} 个字符的文字`,
    },
    savedFile: (name, file) => `[文件 ${name}：${file}]`,
  },

  time: {
    seconds: (s) => `${s}秒`,
    minutes: (m, s) => (s > 0 ? `${m}分${s}秒` : `${m}分钟`),
    hours: (h, m) => (m > 0 ? `${h}小时${m}分` : `${h}小时`),
  },
};
