import type { Lang } from '../scan/messages.ts'

/** The words of the member's rewards pages, in Simplified Chinese and English. */
const zh = {
  title: '积分兑换',
  myPoints: '我的积分',
  spendable: '可用积分',
  price: (n: number) => `${n} 积分`,
  stockLeft: (n: number) => `剩余 ${n} 件`,
  unlimited: '不限量',
  outOfStock: '已兑完',
  from: (d: string) => `${d} 起可兑换`,
  until: (d: string) => `兑换截止 ${d}`,
  perMember: (n: number) => `每人限兑 ${n} 次`,
  redeem: (n: number) => `用 ${n} 积分兑换`,
  needMore: (n: number) => `还差 ${n} 积分`,
  empty: '暂时没有可兑换的礼品，敬请期待。',
  signInToRedeem: '登录会员后，即可用积分兑换礼品。',
  redeemed: (name: string) => `兑换成功：${name}`,
  codeHint: '请向店员出示此兑换码。',
  balanceAfter: (n: number) => `剩余积分：${n}`,
  insufficient: (balance: number, price: number) =>
    `积分不足：此礼品需要 ${price} 积分，您可用 ${balance} 积分。`,
  soldOut: '抱歉，此礼品已兑完。',
  limitReached: (n: number) => `此礼品每人限兑 ${n} 次，您已达到上限。`,
  limitReachedNote: '您已达到此礼品的兑换上限',
  notAvailable: '此礼品当前不在兑换期内。',
  pageExpired: '页面已过期，请刷新后重试。',
  signInFirst: '请先扫描商品二维码并登录会员。',
  myCodes: '我的兑换码',
  noCodes: '还没有兑换记录。',
  switchLang: 'English',
}

type Catalogue = typeof zh

const en: Catalogue = {
  title: 'Rewards',
  myPoints: 'My points',
  spendable: 'Points you can spend',
  price: (n) => `${n} points`,
  stockLeft: (n) => `${n} left`,
  unlimited: 'Unlimited',
  outOfStock: 'Out of stock',
  from: (d) => `From ${d}`,
  until: (d) => `Until ${d}`,
  perMember: (n) => `Limit ${n} per member`,
  redeem: (n) => `Redeem for ${n} points`,
  needMore: (n) => `${n} more points needed`,
  empty: 'No rewards to redeem right now. Come back soon.',
  signInToRedeem: 'To redeem your points, sign in as a member.',
  redeemed: (name) => `Redeemed: ${name}`,
  codeHint: 'Show this code at the counter.',
  balanceAfter: (n) => `Your balance: ${n}`,
  insufficient: (balance, price) =>
    `Not enough points: this reward costs ${price} points and you can spend ${balance}.`,
  soldOut: 'Sorry, this reward is out of stock.',
  limitReached: (n) => `You have reached the limit of ${n} per member for this reward.`,
  limitReachedNote: 'Limit reached: you have redeemed this reward as often as allowed',
  notAvailable: 'This reward cannot be redeemed at this time.',
  pageExpired: 'This page has expired. Reload it and try again.',
  signInFirst: 'Scan a product’s QR code and sign in first.',
  myCodes: 'My reward codes',
  noCodes: 'No rewards redeemed yet.',
  switchLang: '中文',
}

export const REWARDS_MESSAGES: Record<Lang, Catalogue> = { 'zh-CN': zh, en }

const CHINA_OFFSET_MS = 8 * 3_600_000

/** Consumers live in China time: 'YYYY-MM-DD HH:mm' in UTC+8. */
export function formatChinaTime(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ')
}
