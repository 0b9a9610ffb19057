import type { Lang } from '../scan/messages.ts'

const zh = {
  claim: (n: number | string) => `领取 ${n} 积分`,
  claimHint: '登录会员即可领取本商品的积分。',
  signInTitle: '登录领取积分',
  identifierLabel: '手机号或邮箱',
  sendCode: '获取验证码',
  codeSentTo: (to: string) => `验证码已发送至 ${to}，10 分钟内有效。`,
  codeLabel: '6 位验证码',
  /** The terms box: the two names are links to the texts, put in by the form. */
  acceptTerms: <L>(terms: L, privacy: L) => ['我已阅读并同意《', terms, '》和《', privacy, '》'],
  termsName: '会员条款',
  privacyName: '隐私政策',
  signInAndClaim: '登录并领取',
  accountSignInTitle: '登录查看积分',
  signIn: '登录',
  pageExpired: '页面已过期，请重新扫描商品上的二维码。',
  badIdentifier: '请输入有效的手机号或邮箱。',
  wait: (s: number) => `请 ${s} 秒后再获取验证码。`,
  wrongCode: (left: number) => `验证码不正确，还可尝试 ${left} 次。`,
  expired: '验证码已失效，请重新获取。',
  termsRequired: '首次加入会员需同意会员条款和隐私政策。',
  claimed: (n: number, balance: number) => `已领取 ${n} 积分！当前积分：${balance}`,
  alreadyYours: '您已领取过此商品的积分。',
  alreadyClaimed: '此码的积分已被领取。如有疑问请联系品牌。',
  notActivated: '此码尚未激活，暂不能领取积分。',
  voided: '此码已作废，不能领取积分。',
  noPoints: '此商品不参与积分活动。',
  overDailyCap: (from: string) => `今日积分已达上限，此码仍可在 ${from} 之后领取。`,
  overWeeklyCap: (from: string) => `本周积分已达上限，此码仍可在 ${from} 之后领取。`,
  heldForReview:
    '积分待审核：此商品的扫码地点不在其销售区域内。如品牌确认商品是在其销售区域内售出的，我们会为您补发积分。',
  heldByOther: '此码的积分已有人领取，正在审核中。如有疑问请联系品牌。',
  refusedDiverted:
    '此商品的扫码地点不在其销售区域内，按品牌规定不能领取积分。如您是从正规渠道购买的，请联系品牌。',
  tooMany: '操作过于频繁，请稍后再试。',
  busy: '当前获取验证码的人数过多，请稍后再试。',
  sendFailed: '验证码发送失败，请稍后重试。',
  myAccount: '我的积分',
  balance: '积分余额',
  history: '积分记录',
  noHistory: '还没有积分记录。扫描商品上的二维码即可领取积分。',
  signOut: '退出登录',
  signInFirst: '请先扫描商品二维码并登录。',
}

type Catalogue = typeof zh

const en: Catalogue = {
  claim: (n) => `Claim ${n} points`,
  claimHint: 'Sign in as a member to claim this product’s points.',
  signInTitle: 'Sign in to claim your points',
  identifierLabel: 'Mobile number or email',
  sendCode: 'Send me a code',
  codeSentTo: (to) => `We sent a code to ${to}. It is valid for 10 minutes.`,
  codeLabel: '6-digit code',
  acceptTerms: (terms, privacy) => ['I have read and accept the ', terms, ' and the ', privacy],
  termsName: 'member terms',
  privacyName: 'privacy notice',
  signInAndClaim: 'Sign in and claim',
  accountSignInTitle: 'Sign in to see your points',
  signIn: 'Sign in',
  pageExpired: 'This page has expired. Scan the code again.',
  badIdentifier: 'Enter a valid mobile number or email address.',
  wait: (s) => `Please wait ${s} seconds before asking for another code.`,
  wrongCode: (left) => `That code is not right. ${left} tries left.`,
  expired: 'This code has expired or was used up. Ask for a new one.',
  termsRequired: 'To join, please accept the member terms and the privacy notice.',
  claimed: (n, balance) => `You claimed ${n} points! Your balance: ${balance}`,
  alreadyYours: 'You have already claimed the points of this item.',
  alreadyClaimed: 'The points of this code have already been claimed. Contact the brand if in doubt.',
  notActivated: 'This code is not activated yet, so it cannot earn points.',
  voided: 'This code has been voided and cannot earn points.',
  noPoints: 'This product does not earn points.',
  overDailyCap: (from) =>
    `You have reached today’s points limit. This code stays valid: claim it after ${from} (China time).`,
  overWeeklyCap: (from) =>
    `You have reached this week’s points limit. This code stays valid: claim it after ${from} (China time).`,
  heldForReview:
    'Held for review: this item was scanned outside the region it was sold for. We will credit the points if the brand confirms the item was sold in its region.',
  heldByOther:
    'The points of this code have been claimed and are under review. Contact the brand if in doubt.',
  refusedDiverted:
    'This item was scanned outside the region it was sold for, and the brand does not award points for such items. If you bought it from an authorised seller, please contact the brand.',
  tooMany: 'Too many attempts. Please try again later.',
  busy: 'Too many people are asking for codes right now. Please try again later.',
  sendFailed: 'We could not send the code. Please try again in a moment.',
  myAccount: 'My points',
  balance: 'Balance',
  history: 'History',
  noHistory: 'No points yet. Scan the QR code on a product to claim points.',
  signOut: 'Sign out',
  signInFirst: 'Scan a product’s QR code and sign in first.',
}

export const MEMBER_MESSAGES: Record<Lang, Catalogue> = { 'zh-CN': zh, en }
