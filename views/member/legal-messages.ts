import type { PRIVACY_VERSION, TERMS_VERSION } from '../../src/members/member-store.ts'
import type { Lang } from '../scan/messages.ts'

/** A text a member agrees to: a title and its sections, each a heading and paragraphs. */
export type LegalText = { title: string; sections: { heading: string; paragraphs: string[] }[] }
type LegalTexts = Record<Lang, (brandName: string) => LegalText>

/**
 * The member terms, by version. Sign-in records TERMS_VERSION with a new member's consent, and
 * `/me/{brand}/terms` shows that version's text: the type makes the current version's text
 * required, and a changed text gets a new version (the old one stays here, as agreed to).
 */
export const TERMS_TEXTS: Record<string, LegalTexts> & Record<typeof TERMS_VERSION, LegalTexts> = {
  '2026-11': {
    'zh-CN': (brand) => ({
      title: `${brand}会员条款`,
      sections: [
        {
          heading: '会员资格',
          paragraphs: [
            `${brand}会员计划免费加入。您用手机号或邮箱接收一次性验证码登录，一个手机号或邮箱对应一个会员账户。`,
            '请妥善保管您的手机和邮箱：收到验证码的人即可登录您的账户。',
          ],
        },
        {
          heading: '积分',
          paragraphs: [
            '扫描已激活的正品商品上的二维码即可领取该商品的积分，每个码只能领取一次。',
            `${brand}可以设置每日、每周的积分上限：超出上限的码会保留，之后仍可领取。`,
            `扫码地点不在商品销售区域内时，${brand}可以按其规定将积分暂缓发放（待审核）或不予发放。`,
            `积分按获得的先后顺序过期，过期规则由${brand}设定，即将过期的积分会显示在“我的积分”页面。`,
            `通过复制、泄露的二维码或其他不正当方式领取的积分，${brand}有权不予发放或予以扣回。${brand}调整积分时会在您的积分记录中显示。`,
          ],
        },
        {
          heading: '礼品兑换',
          paragraphs: [
            '礼品按页面标示的积分兑换，数量和每人限兑次数以页面为准。兑换成功后会显示兑换码，请向店员出示。',
            `兑换被${brand}取消时，所用积分退回您的账户。`,
          ],
        },
        {
          heading: '退出与注销',
          paragraphs: [
            '您可以随时退出登录，也可以在“个人资料”页面注销账户。注销后，剩余积分作废，无法恢复。',
          ],
        },
        {
          heading: '条款变更',
          paragraphs: [
            `${brand}修改条款时会发布新版本。新会员同意的是加入时显示的版本，您同意的版本记录在您的账户中。`,
          ],
        },
      ],
    }),
    en: (brand) => ({
      title: `${brand} member terms`,
      sections: [
        {
          heading: 'Membership',
          paragraphs: [
            `Joining the ${brand} member programme is free. You sign in with a one-time code sent to your mobile number or email; one number or email is one member account.`,
            'Keep your phone and your mailbox safe: whoever receives the code can sign in to your account.',
          ],
        },
        {
          heading: 'Points',
          paragraphs: [
            'Scanning the QR code on a genuine, activated product earns that product’s points. Each code earns points once.',
            `${brand} may set a daily and a weekly points limit: a code over the limit is kept, and you can claim it later.`,
            `When a product is scanned outside the region it was sold for, ${brand} may hold its points for review or not award them, as its rules say.`,
            `Points expire in the order they were earned, under the rules ${brand} sets; points expiring soon are shown on your “My points” page.`,
            `${brand} may refuse or take back points claimed with copied or leaked codes or in other unfair ways. Any adjustment appears in your points history.`,
          ],
        },
        {
          heading: 'Rewards',
          paragraphs: [
            'Rewards cost the points shown, while stock lasts and within the per-member limits shown. After redeeming you get a reward code to show at the counter.',
            `If ${brand} cancels a redemption, its points go back to your account.`,
          ],
        },
        {
          heading: 'Signing out and leaving',
          paragraphs: [
            'You can sign out at any time, and delete your account on your profile page. Deleting forfeits your remaining points for good.',
          ],
        },
        {
          heading: 'Changes',
          paragraphs: [
            `When ${brand} changes these terms it publishes a new version. A new member agrees to the version shown when joining; the version you agreed to is recorded with your account.`,
          ],
        },
      ],
    }),
  },
}

/** The privacy notice, by version: as TERMS_TEXTS, with PRIVACY_VERSION. */
export const PRIVACY_TEXTS: Record<string, LegalTexts> & Record<typeof PRIVACY_VERSION, LegalTexts> = {
  '2026-11': {
    'zh-CN': (brand) => ({
      title: `${brand}隐私政策`,
      sections: [
        {
          heading: '谁处理您的个人信息',
          paragraphs: [
            `${brand}是您会员信息的个人信息处理者。本政策说明${brand}收集哪些信息、为什么收集、保存多久，以及您的权利。`,
          ],
        },
        {
          heading: '我们收集的信息和用途',
          paragraphs: [
            '手机号或邮箱：用于发送登录验证码、识别您的会员账户。加密保存，页面上只显示部分号码。验证码由短信或邮件服务商发送，他们只为此收到您的手机号或邮箱。',
            '扫码记录：扫码时间、所扫的码和商品、验证结果、这台手机的随机设备标识、截短的网络地址（只用于估计大致所在省市）和浏览器信息。用于告诉您商品是否为正品，以及发现仿冒的码和窜货。',
            '位置：只有在您在扫码页面点击“分享位置”后，才会读取该次扫码的精确位置，用于核对商品的销售区域；您可以每次拒绝，不影响验证结果。',
            '积分：领取、过期、兑换和调整记录，以及您的会员等级，用于为您记账和兑换礼品。',
            '个人资料：姓名、生日、性别和地区，均为选填；生日用于生日礼遇积分。优惠信息只在您同意后发送，您可以随时撤回。',
          ],
        },
        {
          heading: '保存期限',
          paragraphs: [
            '您的会员信息保存至您注销账户为止。',
            '扫码的精确位置在保留期满后删除（默认 90 天），只保留大致的省市。',
            '验证码 10 分钟内有效，只保存其加密摘要。',
            '注销账户时，您的手机号、邮箱、姓名、生日、性别和地区立即删除；积分流水以匿名方式保留，用于品牌对账。',
          ],
        },
        {
          heading: '您的权利',
          paragraphs: [
            '您可以在“我的积分”页面查看积分和记录，在“个人资料”页面更正资料、更改授权、下载我的数据（JSON）和注销账户（删除个人信息）。',
            `如有其他问题，请联系${brand}。`,
          ],
        },
      ],
    }),
    en: (brand) => ({
      title: `${brand} privacy notice`,
      sections: [
        {
          heading: 'Who handles your data',
          paragraphs: [
            `${brand} handles your member data. This notice says what ${brand} collects, why, how long it is kept, and your rights.`,
          ],
        },
        {
          heading: 'What we collect and why',
          paragraphs: [
            'Your mobile number or email: to send your sign-in codes and to know your member account. It is stored encrypted and shown only in part. An SMS or email provider sends the codes and receives your number or email for that alone.',
            'Your scans: when you scanned, the code and product, the verdict, a random id of this phone, a shortened network address (used only to estimate a province or city) and your browser’s name. To tell you whether a product is genuine, and to find copied codes and goods sold outside their region.',
            'Your location: only when you tap “Share location” on a scan page, the precise location of that scan, to check the product’s sales region. You can say no each time; the verdict stays the same.',
            'Your points: what you claimed, what expired, what you redeemed and any adjustment, and your tier, to keep your account and redeem rewards.',
            'Your profile: name, birthday, gender and region, all optional; your birthday earns a birthday bonus. Offers are sent only if you agree, and you can withdraw at any time.',
          ],
        },
        {
          heading: 'How long we keep it',
          paragraphs: [
            'Your member data is kept until you delete your account.',
            'The precise location of a scan is deleted after the retention period (90 days unless set otherwise); only the province or city stays.',
            'A sign-in code is valid for 10 minutes, and only a keyed hash of it is stored.',
            'When you delete your account, your mobile number, email, name, birthday, gender and region are erased at once; the points ledger keeps anonymous lines so that the brand’s accounts still balance.',
          ],
        },
        {
          heading: 'Your rights',
          paragraphs: [
            'See your points and history on your “My points” page. On your profile page, correct your details, change your consents, download your data (JSON) and delete your account (erasing your personal data).',
            `For anything else, contact ${brand}.`,
          ],
        },
      ],
    }),
  },
}
