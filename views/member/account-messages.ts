import type { ProfileErrorKey } from '../../src/members/account-input.ts'
import type { VerdictKind } from '../../src/scans/scan-schema.ts'
import type { Lang } from '../scan/messages.ts'

type HistoryKind =
  | 'scan'
  | 'claim'
  | 'expiry'
  | 'redemption'
  | 'reversal'
  | 'adjustment'
  | 'merge'
  | 'bonus'
  | 'held'

const zh = {
  myAccount: '我的积分',
  balance: '积分余额',
  expiring: (n: number, date: string) => `${n} 积分将于 ${date} 起陆续过期`,
  noneExpiring: '近 30 天内没有即将过期的积分。',
  tier: '会员等级',
  noTier: '暂无等级',
  nextTier: (name: string, needed: number, days: number) =>
    `再获得 ${needed} 积分（近 ${days} 天内）即可升至 ${name}`,
  topTier: '您已是最高等级。',
  history: '记录',
  noHistory: '还没有记录。扫描商品上的二维码即可领取积分。',
  older: '更早的记录',
  newer: '较新的记录',
  historyKinds: {
    scan: '扫码验真',
    claim: '领取积分',
    expiry: '积分过期',
    redemption: '兑换礼品',
    reversal: '兑换已取消，积分退回',
    adjustment: '品牌调整积分',
    bonus: '生日礼遇积分',
    merge: '账户合并，积分转入',
    held: '积分待审核',
  } satisfies Record<HistoryKind, string>,
  heldStatuses: {
    held: '品牌确认商品在其销售区域内售出后补发',
    released: '已确认，积分已发放',
    refused: '品牌确认商品不在其销售区域内售出，不发放积分',
  },
  verdicts: {
    'genuine-first': '正品（首次验证）',
    'genuine-seen': '正品（已被验证过）',
    'suspected-copy': '疑似仿冒',
    voided: '已作废的码',
    'not-activated': '未激活的码',
    'not-genuine': '无法验证',
  } satisfies Record<VerdictKind, string>,
  rewards: '兑换礼品',
  profile: '个人资料',
  signedInWith: '登录手机号或邮箱',
  signOut: '退出登录',
  signInFirstTitle: '请先登录',
  signInFirst: '请扫描商品上的二维码，并在扫码页面用手机号或邮箱登录后，再查看您的积分。',
  signInHere: '用手机号或邮箱登录，即可查看积分、兑换礼品。',
  switchLang: 'English',
  /** After a scan's place when it came from the network address, not the phone. */
  approximatePlace: '（按网络位置，约）',
  textVersion: (v: string) => `版本 ${v}`,
  name: '姓名',
  birthday: '生日',
  gender: '性别',
  genders: { female: '女', male: '男', other: '其他', unspecified: '不愿透露' },
  regionCode: '地区代码',
  save: '保存',
  saved: '已保存。',
  profileErrors: {
    nameTooLong: '姓名最多 50 个字。',
    birthdayInvalid: '请填写有效的日期。',
    birthdayFuture: '生日不能晚于今天。',
    genderInvalid: '请选择性别。',
    regionTooLong: '地区代码最多 10 个字符。',
  } satisfies Record<ProfileErrorKey, string>,
  consents: '授权设置',
  locationAtScan:
    '位置：每次扫码时，扫码页面会单独询问是否分享位置；您不点击“分享位置”，就不会读取您的位置。',
  consentMarketing: '接收品牌的优惠和活动信息',
  consentVersion: (v: string) => `条款版本 ${v}`,
  saveConsents: '保存授权设置',
  consentsSaved: '授权设置已更新。',
  myData: '我的数据',
  downloadData: '下载我的数据（JSON）',
  deleteAccount: '注销账户',
  deleteExplain:
    '注销后，您的手机号、邮箱、姓名、生日、性别和地区将被删除，且无法恢复；剩余积分作废。积分流水会以匿名方式保留，用于品牌对账。',
  deleteConfirm: '我确认注销账户并删除我的个人数据',
  deleteButton: '注销账户',
  deleteNeedsConfirm: '请勾选确认框后再注销。',
  deletedTitle: '账户已注销',
  deleted: '您的个人数据已删除，账户已注销。再次扫码登录将创建一个新账户。',
  expiredForm: '页面已过期，请刷新后重试。',
  back: '返回我的积分',
}

type Catalogue = typeof zh

const en: Catalogue = {
  myAccount: 'My points',
  balance: 'Balance',
  expiring: (n, date) => `${n} points start expiring on ${date}`,
  noneExpiring: 'No points expire in the next 30 days.',
  tier: 'Tier',
  noTier: 'No tier yet',
  nextTier: (name, needed, days) => `Earn ${needed} more points (within ${days} days) to reach ${name}`,
  topTier: 'You are in the top tier.',
  history: 'History',
  noHistory: 'Nothing yet. Scan the QR code on a product to claim points.',
  older: 'Older',
  newer: 'Newer',
  historyKinds: {
    scan: 'Scanned',
    claim: 'Points claimed',
    expiry: 'Points expired',
    redemption: 'Reward redeemed',
    reversal: 'Redemption cancelled, points returned',
    adjustment: 'Points adjusted by the brand',
    bonus: 'Birthday bonus',
    merge: 'Accounts merged, points moved',
    held: 'Points held for review',
  },
  heldStatuses: {
    held: 'credited if the brand confirms the item was sold in its region',
    released: 'confirmed, points credited',
    refused: 'the brand found the item was sold outside its region: no points',
  },
  verdicts: {
    'genuine-first': 'genuine, first check',
    'genuine-seen': 'genuine, checked before',
    'suspected-copy': 'suspected copy',
    voided: 'voided code',
    'not-activated': 'code not activated',
    'not-genuine': 'could not be verified',
  },
  rewards: 'Rewards',
  profile: 'Profile',
  signedInWith: 'Signed in with',
  signOut: 'Sign out',
  signInFirstTitle: 'Please sign in',
  signInFirst:
    'Scan the QR code on a product and sign in on the scan page with your mobile number or email to see your points.',
  signInHere: 'Sign in with your mobile number or email to see your points and redeem rewards.',
  switchLang: '中文',
  approximatePlace: ' (approximate, from the network)',
  textVersion: (v) => `Version ${v}`,
  name: 'Name',
  birthday: 'Birthday',
  gender: 'Gender',
  genders: { female: 'Female', male: 'Male', other: 'Other', unspecified: 'Prefer not to say' },
  regionCode: 'Region code',
  save: 'Save',
  saved: 'Saved.',
  profileErrors: {
    nameTooLong: 'A name can have at most 50 characters.',
    birthdayInvalid: 'Enter a real date.',
    birthdayFuture: 'A birthday cannot be in the future.',
    genderInvalid: 'Choose one of the options.',
    regionTooLong: 'A region code can have at most 10 characters.',
  },
  consents: 'Consent settings',
  locationAtScan:
    'Location: each scan page asks separately whether to share your location; unless you tap “Share location” there, it is not read.',
  consentMarketing: 'Send me the brand’s offers and news',
  consentVersion: (v) => `text version ${v}`,
  saveConsents: 'Save consent settings',
  consentsSaved: 'Your consent settings were updated.',
  myData: 'My data',
  downloadData: 'Download my data (JSON)',
  deleteAccount: 'Delete my account',
  deleteExplain:
    'Deleting erases your mobile number, email, name, birthday, gender and region for good, and your remaining points are forfeited. The points ledger keeps anonymous lines so that the brand’s accounts still balance.',
  deleteConfirm: 'I want to delete my account and my personal data',
  deleteButton: 'Delete my account',
  deleteNeedsConfirm: 'Tick the box to confirm.',
  deletedTitle: 'Account deleted',
  deleted: 'Your personal data was erased and your account deleted. Signing in again creates a new account.',
  expiredForm: 'This page has expired. Reload it and try again.',
  back: 'Back to my points',
}

export const ACCOUNT_MESSAGES: Record<Lang, Catalogue> = { 'zh-CN': zh, en }

/** A date as members read it, in China time. */
export function formatDay(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10)
}
