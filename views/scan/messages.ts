/** The consumer pages' words, in Simplified Chinese and English. */
export const LANGS = ['zh-CN', 'en'] as const
export type Lang = (typeof LANGS)[number]

const zh = {
  title: '正品验证',
  genuineFirst: '正品 · 首次查询',
  genuineFirstHint: '这是该商品码第一次被查询。',
  genuineSeen: '正品 · 已被查询过',
  /** `approximate`: the place came from the first scanner's network address, not their phone. */
  genuineSeenHint: (date: string, place: string | null, approximate = false) =>
    place
      ? `该码首次验证于 ${date}，地点：${place}${approximate ? '（按网络位置，约）' : ''}。如非本人查询，请留意。`
      : `该码首次验证于 ${date}。如非本人查询，请留意。`,
  suspected: '疑似仿冒',
  suspectedDevices: '该码已被过多不同的手机查询，可能是复制的标签。',
  suspectedTravel: '该码在短时间内出现在相距甚远的两地，可能是复制的标签。',
  voided: '此码已作废',
  voidedHint: (reason: string) => `品牌已将此码作废（原因：${reason}）。该码不能积分，如有疑问请联系品牌。`,
  notActivated: '此码尚未激活',
  notActivatedHint: '这是品牌的正品码，但商品尚未出库激活。如您在店内购买，请联系商家或品牌。',
  notGenuine: '不是正品码',
  notGenuineHint: '无法验证此码：它可能是伪造的，或输入有误。请检查后重试，或联系品牌。',
  product: '商品',
  brand: '品牌',
  lot: '批号',
  produced: '生产日期',
  expires: '有效期至',
  locationTitle: '帮助品牌打击假货与窜货',
  locationWhy: (brand: string) =>
    `${brand} 希望记录本次扫码的位置，用于发现假货和跨区域销售。位置仅用于防伪防窜，精确坐标会在保留期后删除。是否分享位置？`,
  locationAllow: '分享位置',
  locationDecline: '不用了',
  locationThanks: (place: string | null) => (place ? `谢谢！已记录位置：${place}` : '谢谢！已记录位置。'),
  locationDeclined: '好的，不记录位置。不影响验证结果。',
  locationUnavailable: '无法获取位置，已跳过。不影响验证结果。',
  locationInvalid: '收到的位置不完整或有误，未作记录。不影响验证结果。',
  locationNotFound: '在这台手机上找不到这次扫码，未作记录。请重新扫描商品上的码。',
  backToProduct: '返回商品页',
  verifyTitle: '手动验证',
  verifyHint: '输入标签上二维码下方的编码（可忽略短横线和大小写）。',
  verifyButton: '验证',
  verifyLabel: '编码',
  verifyMalformed: '编码应为 31 位字母和数字（不含 I、L、O、U），请检查。',
  verifyBadCheck: '编码中有字符输错或相邻两位顺序颠倒，请仔细核对标签。',
  tooMany: '尝试次数过多',
  tooManyHint: (s: number) => (s < 60 ? `请在 ${s} 秒后再试。` : `请在 ${Math.ceil(s / 60)} 分钟后再试。`),
  switchLang: 'English',
  reasons: {
    misprint: '印刷错误',
    stolen: '被盗',
    damaged: '损坏',
    recalled: '召回',
    leaked: '码包泄露',
    other: '其他',
  } as Record<string, string>,
}

type Catalogue = typeof zh

const en: Catalogue = {
  title: 'Authenticity check',
  genuineFirst: 'Genuine · first check',
  genuineFirstHint: 'This is the first time this code has been checked.',
  genuineSeen: 'Genuine · checked before',
  genuineSeenHint: (date, place, approximate = false) =>
    place
      ? `This code was first verified on ${date} in ${place}${approximate ? ' (approximate, from the network)' : ''}. If that was not you, take care.`
      : `This code was first verified on ${date}. If that was not you, take care.`,
  suspected: 'Suspected copy',
  suspectedDevices: 'Too many different phones have checked this code: the label may have been copied.',
  suspectedTravel:
    'This code was scanned in two distant places within a short time: the label may have been copied.',
  voided: 'This code has been voided',
  voidedHint: (reason) =>
    `The brand voided this code (reason: ${reason}). It earns no points; contact the brand if in doubt.`,
  notActivated: 'This code is not activated yet',
  notActivatedHint:
    'This is a genuine code of the brand, but the item has not left the warehouse yet. If you bought it in a shop, contact the seller or the brand.',
  notGenuine: 'Not a genuine code',
  notGenuineHint:
    'We cannot verify this code: it may be forged or mistyped. Check it and try again, or contact the brand.',
  product: 'Product',
  brand: 'Brand',
  lot: 'Lot',
  produced: 'Produced',
  expires: 'Best before',
  locationTitle: 'Help the brand fight fakes and diverted goods',
  locationWhy: (brand) =>
    `${brand} would like to record where this scan happened, to find fakes and goods sold outside their region. It is used only for that, and precise coordinates are deleted after the retention period. Share your location?`,
  locationAllow: 'Share location',
  locationDecline: 'No thanks',
  locationThanks: (place) =>
    place ? `Thank you! Location recorded: ${place}` : 'Thank you! Location recorded.',
  locationDeclined: 'OK, no location recorded. Your result is unchanged.',
  locationUnavailable: 'Your location was not available; skipped. Your result is unchanged.',
  locationInvalid:
    'The location received was incomplete or wrong, so nothing was recorded. Your result is unchanged.',
  locationNotFound:
    'This scan was not made on this phone, so nothing was recorded. Scan the code on the item again.',
  backToProduct: 'Back to the product',
  verifyTitle: 'Check a code by hand',
  verifyHint: 'Type the code printed under the QR code (dashes and letter case do not matter).',
  verifyButton: 'Check',
  verifyLabel: 'Code',
  verifyMalformed: 'A code has 31 letters and digits (no I, L, O or U). Please check it.',
  verifyBadCheck: 'One character is wrong or two neighbours are swapped. Please compare with the label.',
  tooMany: 'Too many attempts',
  tooManyHint: (s) => {
    const [n, unit] = s < 60 ? [s, 'second'] : [Math.ceil(s / 60), 'minute']
    return `Please try again in ${n} ${unit}${n === 1 ? '' : 's'}.`
  },
  switchLang: '中文',
  reasons: {
    misprint: 'misprint',
    stolen: 'stolen',
    damaged: 'damaged',
    recalled: 'recalled',
    leaked: 'leaked code file',
    other: 'other',
  },
}

export const MESSAGES: Record<Lang, Catalogue> = { 'zh-CN': zh, en }
export type Messages = Catalogue

/** The language a page's switch offers: the other of the two. */
export const otherLang = (l: Lang): Lang => (l === 'en' ? 'zh-CN' : 'en')

/** Picks the language: an explicit choice (cookie or ?lang) wins, then Accept-Language, then Chinese. */
export function pickLang(explicit: string | undefined, acceptLanguage: string | undefined): Lang {
  if (explicit === 'en' || explicit === 'zh-CN') return explicit
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? ''
  return first.startsWith('en') ? 'en' : 'zh-CN'
}
