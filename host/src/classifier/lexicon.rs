//! Domain keyword classes: cue words grouped by meaning, each class one extra feature.
//!
//! Character n-grams only know the spellings they saw in training. A class such as
//! `money_back` (退款, 退钱, 退费, 退差价, refund, tk, …) lets a synonym the training lines never
//! used still fire the feature the model learned for its siblings, which is most of what
//! generalisation to independently written messages needs. Classes describe *meaning*, not
//! labels: the model learns how much each one counts for each intent, and several classes
//! (e.g. `money_back` and `goods_back`) often fire together.
//!
//! Words are matched on the normalised text (Simplified, lower-case). Written by hand for Kefu
//! from the label definitions in `intents.md`; never from the held-out split.

use std::collections::HashMap;
use std::sync::OnceLock;

/// `(class, space-separated cue words)`. ASCII words match whole words only; digit words only
/// when not inside a longer number.
pub(super) const CLASSES: &[(&str, &str)] = &[
    (
        "order_state",
        "在路上 站点 只收到 少了一件 少一件 少了 还没收到 寄出来没 到哪 到哪了 到哪里 在哪了 走到哪 物流 快递到 查件 查快递 单号 \
         运单 快递单 包裹 签收 派送 派件 揽收 中转 转运 没收到 还没到 没到 还没送到 没送到 丢件 丢了 发出来 发了吗 发货了吗 \
         寄出了吗 到了没 配送中 运输中 已发货 驿站 取件码 骑手 物流信息 更新 不动了 卡在 查单 订单状态 什么状态 到哪一步 进度 \
         tracking 快递员 收不到货 没送来 派送中 已送达 漏发 少发 只到了",
    ),
    (
        "money_back",
        "退款 退钱 退费 退差价 差价 退回来 退给我 退还 返还 退到 原路 退现 押金 定金 订金 退学费 钱退 退的钱 refund tk \
         保价 剩下的钱 剩余课时 课时费 余额退 钱什么时候 钱还没 钱呢 退我钱 退一下钱 返钱 退多少",
    ),
    (
        "goods_back",
        "退货 寄回 退回 换货 换一个 换个 换成 换大 换小 换码 七天无理由 无理由 退换 上门取件 寄回去 退件 换新 补发 return \
         exchange 尺码不对 不合适 码数 大了 小了 破损 碎了 坏的 发错 发错货 拆封 吊牌 退货地址 运费险",
    ),
    (
        "cancel",
        "取消 撤销 撤单 不要了 不想要了 别寄了 别发了 不寄了 不买了 cancel 拍错 下错 拍重复 改主意 不要这单 作废 拦截",
    ),
    (
        "modify",
        "改地址 修改 改成 改一下 改为 改到 换地址 备注 合并 一起发 同一个包裹 一个包裹 写错 填错 改电话 改手机 改数量 加一件 改规格 \
         改颜色 改尺码 改个 换个地址 收货人 收件人 地址 改下",
    ),
    (
        "not_shipped",
        "还没发货 没发货 未发货 发货前 还没发 还没寄 没寄出 还没出库 待发货",
    ),
    (
        "shipping_policy",
        "加急 保税 起送 冰袋 泡沫箱 自己配送 第三方 物流 包装运输 时效 寄 邮寄 包邮 运费 邮费 顺丰 快递 发货 几天到 多久到 \
         多久能到 几天能到 配送 送货上门 冷链 偏远 停发 当天发 发什么快递 寄到 能寄 能发 配送范围 送到 同城 闪送 海外 国外 港澳台 \
         几天发 多久发 发货时间 shipping delivery 物流公司 京东 中通 圆通 韵达 ems 申通 极兔 次日达 送货",
    ),
    (
        "when",
        "什么时候 多久 几天 几号 何时 when 几点 啥时候 多长时间",
    ),
    (
        "price",
        "多少钱 价格 价钱 价位 费用 收费 学费 报价 贵 怎么卖 单价 手续费 服务费 年费 最低消费 人均 费率 利率 价目表 价目 \
         price 多钱 啥价 什么价 几块 多少米 收多少 要多少 花多少 怎么收 一共多少 总价 差价 包含 含不含 包括 另收 另外收 \
         quote 费",
    ),
    (
        "discount",
        "推荐有奖 推荐朋友 推荐好友 推荐同学 拼单 成团 团购券 团单 满赠 赠送 减免 体验价 开卡礼 膨胀 专享 限时 新客 老学员 续报优惠 \
         无门槛 集赞 优惠 优惠券 券 折扣 打折 几折 满减 红包 活动 促销 秒杀 拼团 团购 砍价 早鸟 首单 新人 立减 返现 降价 便宜点 \
         便宜 少点 抵扣 优惠码 折扣码 双十一 双11 618 领券 coupon 买一送一 第二件 半价 特价 老带新 邀请 套餐 赠品 福利 \
         抽奖 sale 折头 九折 八折 七折 五折 划算 券码 兑换码 大促 清仓",
    ),
    (
        "buy",
        "我要买 想买 购买 下单 拍下 怎么拍 怎么买 订购 采购 批量 买 要一件 链接 加购 再来一单 购买按钮 买入 申请 办卡 办一张 \
         buy 下一单 拍了 入手 想要 我要了 来一份 来两 订 有货 现货 库存",
    ),
    (
        "pay",
        "查收 收到没有 买单 缴费 交了 到付 支付 付款 付钱 扣款 扣钱 扣了 转账 汇款 支付宝 微信支付 花呗 信用卡 分期 货到付款 现金 \
         刷卡 扫码付 待付款 未付款 已付款 付了 交易失败 交易异常 还款 代付 对公 付不了 付不出 pay 收款码 余额不足 银行卡 云闪付 \
         apple paypal 转数快 八达通 付 钱扣了 扣费 重复扣 扣两次 免息 首付 银联",
    ),
    (
        "invoice",
        "凭证 税务 完税 发票 开票 专票 普票 增值税 抬头 税号 收据 电子发票 报销 开具 invoice receipt 作废重开 红冲 \
         票据 开个票 开张票 税点",
    ),
    (
        "grievance",
        "霸王条款 素质 谁负责 医药费 追究 误导 摔倒 被骂 骂 私自 乱扣 管理 责任 赔 投诉 12315 消协 曝光 媒体 律师 起诉 报警 \
         骗子 欺诈 诈骗 垃圾 态度差 态度恶劣 恶劣 过分 给个说法 说法 负责 赔偿 赔钱 道歉 假货 假一赔三 虚假宣传 骗人 坑人 黑店 \
         举报 工商 市场监管 维权 太差 恶心 拉肚子 食物中毒 中毒 受伤 什么态度 忍无可忍 欺骗 骗 坑 无良 不负责 差劲 失望透顶 解释 \
         交代 法院 微博 抖音 小红书 网上曝光 消费者协会 315 监管",
    ),
    (
        "anger",
        "气死 😡 🤬 💢 !!! 太过分 什么态度 垃圾 无语 服了 离谱 受够了 有病 滚 ???",
    ),
    (
        "repair",
        "打不着火 花屏 蓝屏 断了 焊 模糊 卡纸 变暗 不好使 不灵 吸力 寄修 维修费 坏了 维修 修 保修 报修 故障 售后 上门 师傅 \
         不制冷 漏水 开不了机 充不进电 没声音 失灵 异响 不转 不工作 碎屏 屏幕碎 过保 保修期 质保 延保 网点 维修点 换电池 换屏 坏掉 \
         出问题 不亮 不出水 不加热 不启动 报错 错误代码 故障码 修理 检修 返厂 坏 不能用 没反应 黑屏 自动关机 发热 死机 不充电 断电 \
         噪音 repair 零件 配件 更换",
    ),
    (
        "login",
        "登录 登不上 密码 验证码 注册 绑定 解绑 换绑 改绑 账号 账户 冻结 封号 被封 锁定 被锁 login 找回 手机号 授权登录 实名 \
         用户名 账号异常 短信验证 登录页 sign 登不进 进不去 登出 退出登录 扫码登录 人脸识别 认证 重置密码 忘记密码 输错 log \
         帐号 otp",
    ),
    (
        "member",
        "会员 积分 vip svip 等级 升级 权益 储值卡 余额 次卡 年卡 会员卡 金卡 银卡 黑卡 白金 钻石 成长值 续费 自动续费 \
         会员日 会员价 兑换 抵现 积分商城 剩多少 还剩 几次 储值 充值 卡里 plus 会籍 月卡 季卡 老会员 积分卡 member 里程",
    ),
    (
        "edu",
        "课程 课 老师 教材 作业 零基础 基础 几岁 年级 小班 一对一 外教 中教 线上 线下 直播 录播 学什么 教什么 内容 难度 口语 \
         考试 提分 辅导 师资 教学 课时 节课 上课 班 夏令营 冬令营 新概念 雅思 托福 ielts toefl ket pet 编程 奥数 \
         数学 英语 物理 语文 化学 钢琴 美术 舞蹈 围棋 书法 考研 孩子 小朋友 宝宝 学生 家长 学员 学 教 讲 练 幼儿园 小学 初中 \
         高中 一年级 二年级 三年级 四年级 五年级 六年级 初一 初二 初三 高一 高二 高三 机构 学校 培训 训练营 教练 游泳 篮球 足球 \
         乐高 机器人编程 scratch python",
    ),
    (
        "schedule",
        "中途 加入 课程表 出发 放假安排 时间安排 续报 续课 复课 暂停 报名 名额 位置 开课 开班 课表 时间表 上课时间 试听 请假 补课 \
         调课 换班 转班 插班 排课 截止 报上 下一期 停课 延期 课程安排 调到 报读 报班 入学 招生 满员 满了 剩几个 几号开 排班 约课 \
         改课 试课 体验课 开学 几点上课 什么时候上 哪天上",
    ),
    (
        "place",
        "发个定位 发定位 店在哪 门店地址 店铺地址 营业吗 开门吗 放假吗 几点开 几点关 门店 店 地址 位置 营业 营业时间 开门 关门 停车 \
         地铁 公交 怎么去 怎么走 分店 校区 附近 导航 开到几点 营业到 节假日 春节 国庆 楼 几楼 商场 广场 路 号线 出口 门口 实体店 \
         线下店 专柜 总店 旗舰店 开业 休息 打烊 歇业 休业",
    ),
    (
        "book",
        "加号 排号 挂号 叫号 预约 预订 订位 订座 订桌 包间 包厢 约 取号 排队 位子 桌 几位 几个人 人数 改约 改期 到店 book \
         booking reservation 约个 约一 有位 空位 档期 订个 留位 留个位 等位 号码牌 到店时间 技师 美容师 美甲师 \
         发型师 理发师 面谈 面诊",
    ),
    (
        "human",
        "通话 直接联系 个人微信 加微信 在线客服 人工服务 不想和机器人 不要机器人 别让机器人 人工 真人 客服电话 电话 经理 负责人 店长 \
         主管 转接 转人工 找人 叫人 活人 人工客服 kf 联系我 回电话 回电 打电话 专员 客户经理 agent human 人呢 来个人 \
         找个人 上级 领导 老板 打给我 热线 400 manager 对接 顾问 老师在吗 接线",
    ),
    (
        "hello",
        "在吗 在不在 你好 您好 哈喽 hello hi 嗨 早上好 晚上好 下午好 中午好 早 有人吗 有人在吗 亲 hey 哈罗 早安 午安 \
         打扰一下 咨询一下 请问 在? 在嘛 在么 有人么 有没有人 哈啰 哈咯 早晨 嗨嗨 yo 喂",
    ),
    (
        "thanks",
        "谢谢 感谢 多谢 谢啦 3q thx thanks thank 拜拜 再见 88 886 bye 好的 好嘞 收到 知道了 明白 了解 \
         辛苦了 没事了 没问题了 ok okay 好滴 好哒 👌 👍 🙏 晚安 谢了 感恩 麻烦了 解决了 懂了 行 可以了 好吧 嗯嗯 好哦 \
         ty",
    ),
    (
        "tech",
        "app 闪退 打不开 白屏 黑屏 卡顿 卡 加载 转圈 报错 错误 404 500 502 503 bug 崩溃 崩了 没反应 上传 下载 \
         网页 页面 小程序 网站 系统 更新 版本 安装 装不上 闪屏 花屏 播放 推送 显示异常 网络异常 网络错误 系统繁忙 刷新 无响应 提示 \
         点不了 点不动 用不了 视频 声音 麦克风 摄像头 软件 客户端 ios 安卓 android iphone 电脑 浏览器 手机 链接打不开 \
         二维码 扫不出 乱码 登出 掉线 断线 延迟 缓存 清缓存 重装 卸载 跳转 按钮 界面 卡死 程序",
    ),
    (
        "privacy",
        "个性化广告 广告推送 广告追踪 隐藏 打码 群发 不想接收 unsubscribe td 注销 删除 删掉 个人信息 个人数据 数据 隐私 \
         泄露 泄漏 卖了 信息安全 权限 通讯录 定位 相册 人脸 身份证 推销 营销 骚扰 退订 取消订阅 订阅 个性化推荐 导出 收集 授权 \
         注销账号 销户 隐私政策 资料 号码 存储 保存 谁能看到 第三方 监控 录音 录像 照片 信息 gdpr 拉黑 不要再 别再",
    ),
    (
        "suggest",
        "建议 希望 提个意见 意见 反馈 如果能 要是能 就好了 可以再 能不能多 改进 优化 增加 出个 推出 多开 有点 稍微 不太 小建议 \
         提议 要是 最好 多一点 少一点 再多 加个 增设 考虑一下 参考 期待 改善 提升 个人觉得 我觉得 还不错 挺好 总体 整体 不过 就是 \
         美中不足",
    ),
    (
        "chitchat",
        "股市 世界杯 招人 表情包 礼物 猫 狗 火车票 电视剧 测试 test 好烦 机器人 ai 人工智能 你叫什么 几岁 天气 吃饭了吗 哈哈 \
         哈哈哈 笑话 聊天 无聊 唱歌 电影 音乐 发错 打错 你是谁 男的女的 星期几 可爱 帅 美女 😂 🤣 😄 hh hhh 嘿嘿 呵呵 \
         嘻嘻 lol 周杰伦 明星 游戏 睡觉 失恋 心情 好玩 干嘛 吃了吗 放假 周末 喜欢 讨厌 聊 陪我 你是 真人吗 chatgpt \
         gpt",
    ),
    (
        "product",
        "通用吗 通用 上身图 实物图 仪器 够吃 无糖 低糖 素的 海鲜 几个菜 材质 材料 面料 纯棉 尺码 尺寸 码 大小 重量 颜色 成分 \
         配料 功能 参数 规格 型号 容量 防水 适合 能用吗 可以用吗 是什么 区别 质量 保质期 产地 孕妇 敏感肌 辣不辣 口味 风险等级 \
         风险 保本 收益 年化 起购 续航 电池 内存 蓝牙 兼容 支持 好用吗 效果 怎么用 用法 说明 偏大 偏小 身高 体重 多大 多重 多长 \
         多宽 几个颜色 正品 真的吗 含 有没有 适用 能不能用 过敏 安全吗 副作用 耐用 掉色 起球 缩水 透气 保暖 厚 薄 软 硬 重 轻 \
         味道 甜 咸 辣 份量 分量 几人份 是不是 怎么样 好不好 会不会 能不能 可以吗 spec size 什么牌子 品牌 进口 国产 有机 \
         认证 配置 性能 材 款",
    ),
    (
        "negation_not_received",
        "没收到 没有收到 收不到 没拿到 未收到 没见 没到",
    ),
];

type ClassIndex = HashMap<char, Vec<(&'static str, u16)>>;

fn class_index() -> &'static ClassIndex {
    static INDEX: OnceLock<ClassIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: ClassIndex = HashMap::new();
        for (id, (_, words)) in CLASSES.iter().enumerate() {
            for word in words.split_whitespace() {
                let first = word.chars().next().expect("empty word");
                index.entry(first).or_default().push((word, id as u16));
            }
        }
        index
    })
}

fn boundary_ok(text: &str, start: usize, word: &str) -> bool {
    let end = start + word.len();
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = word.chars().next().unwrap_or(' ');
    let last = word.chars().next_back().unwrap_or(' ');
    let clash = |edge: char, neighbour: Option<char>| match neighbour {
        Some(n) if edge.is_ascii_digit() => n.is_ascii_digit(),
        Some(n) if edge.is_ascii_alphabetic() => n.is_ascii_alphanumeric(),
        _ => false,
    };
    !clash(first, before) && !clash(last, after)
}

/// Calls `emit` with the id of every class whose cue word occurs in `text` (normalised),
/// once per occurrence.
pub(super) fn classes_in(text: &str, mut emit: impl FnMut(u16)) {
    let index = class_index();
    for (start, c) in text.char_indices() {
        let Some(list) = index.get(&c) else { continue };
        let rest = &text[start..];
        for &(word, id) in list {
            if rest.starts_with(word) && boundary_ok(text, start, word) {
                emit(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&'static str> {
        let mut ids = Vec::new();
        classes_in(text, |id| ids.push(id));
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter().map(|id| CLASSES[id as usize].0).collect()
    }

    #[test]
    fn ascii_cue_words_match_whole_words_only() {
        assert!(names("app闪退").contains(&"tech"));
        assert!(!names("happy").contains(&"tech"));
        assert!(names("tk").contains(&"money_back"));
        assert!(!names("tkx").contains(&"money_back"));
    }

    #[test]
    fn digit_cue_words_do_not_match_inside_numbers() {
        assert!(names("打12315").contains(&"grievance"));
        assert!(!names("订单2012315888").contains(&"grievance"));
        assert!(names("88").contains(&"thanks"));
        assert!(!names("8800").contains(&"thanks"));
    }

    #[test]
    fn every_class_has_words() {
        for (name, words) in CLASSES {
            assert!(words.split_whitespace().count() > 0, "{name}");
        }
    }
}
