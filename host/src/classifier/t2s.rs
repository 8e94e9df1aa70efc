//! Traditional → Simplified characters, for the characters customers actually type.
//!
//! Written for Kefu by hand as plain character pairs (Traditional first), grouped loosely by
//! component. It is deliberately small: a few hundred everyday characters of shopping, orders,
//! payments, courses, salons and restaurants, plus the ones written Cantonese leans on. Where
//! one Simplified character stands for several Traditional ones (發/髮 → 发, 乾/幹 → 干, 後 → 后)
//! every Traditional form maps to it. 係 is *not* here: in Cantonese it means 是, so
//! [`super::normalize`] decides about it by context.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Space-separated pairs `TS`: the Traditional character followed by its Simplified form.
const PAIRS: &str = "
訂订 計计 記记 許许 訊讯 設设 話话 該该 詳详 誤误 說说 請请 謝谢 識识 證证 評评 論论 課课
調调 談谈 講讲 讓让 認认 語语 讀读 議议 試试 詢询 診诊 訴诉 謊谎 譯译 護护 變变 詞词 讚赞
誰谁 諾诺 諮咨 誠诚 謹谨 訪访 諒谅 訓训 註注 詐诈 誇夸 譽誉 譜谱 謠谣 誌志 託托 討讨
貝贝 買买 賣卖 費费 貨货 資资 質质 購购 貴贵 賬账 帳账 貼贴 賠赔 賺赚 貸贷 財财 貿贸 販贩
負负 責责 賞赏 贈赠 贊赞 賽赛 賀贺 貢贡 貪贪 貧贫 賓宾 賴赖 賤贱 賃赁 貓猫 豬猪 豐丰
錢钱 銀银 鐘钟 鍾钟 錶表 錯错 鎖锁 鋪铺 舖铺 銷销 鍋锅 鐵铁 針针 鈕钮 鍵键 鏈链 錄录 鏡镜
鑽钻 鑰钥 鋼钢 鋁铝 釘钉 鈴铃 銅铜 錦锦 鎮镇 鑒鉴 鑑鉴 鑄铸 釐厘 鍛锻
紅红 線线 級级 約约 紙纸 結结 給给 絡络 統统 經经 綁绑 網网 緊紧 總总 續续 繳缴 編编 練练
組组 細细 終终 織织 維维 綠绿 繫系 純纯 紋纹 納纳 紐纽 絕绝 絲丝 綜综 緩缓 縮缩 績绩 縫缝
纖纤 緒绪 緣缘 縣县 繩绳 絨绒 綿绵 紀纪 紛纷 紗纱 緻致 縱纵 繪绘 纜缆 糾纠 罰罚 羅罗 罷罢
門门 開开 關关 間间 閉闭 問问 閃闪 閱阅 閒闲 閑闲 闆板 鬧闹 闊阔 聞闻 閣阁 閘闸 闖闯
馬马 驗验 駛驶 騎骑 騙骗 駐驻 驚惊 驅驱 駕驾 騷骚 驕骄
車车 軟软 載载 輸输 輪轮 轉转 較较 輕轻 輛辆 軍军 連连 輔辅 輯辑 軌轨 轟轰 輩辈
飯饭 飲饮 館馆 餅饼 餓饿 飽饱 餃饺 餘余 饞馋 飾饰 餵喂 養养 饅馒 餡馅 飼饲 饑饥
魚鱼 鮮鲜 鳥鸟 雞鸡 鴨鸭 鵝鹅 鯉鲤 鱈鳕 鰻鳗 鮑鲍 蝦虾 蠔蚝 鯨鲸 鴿鸽 鶴鹤
頁页 題题 預预 頓顿 領领 頭头 顏颜 顯显 願愿 類类 順顺 須须 頻频 額额 顧顾 項项 顆颗 頂顶
煩烦 頸颈 頒颁 顛颠 颱台 風风 飄飘 飛飞 頃顷
個个 們们 這这 來来 時时 對对 為为 爲为 麼么 嗎吗 還还 沒没 過过 後后 會会 與与 東东 從从
裡里 裏里 點点 應应 當当 發发 髮发 樣样 種种 無无 現现 處处 實实 體体 學学 習习 書书 師师
長长 萬万 兩两 幾几 歲岁 號号 數数 電电 機机 動动 務务 報报 單单 雙双 辦办 產产 廠厂 廣广
庫库 態态 慶庆 歡欢 樂乐 邊边 遠远 運运 達达 遲迟 適适 選选 遺遗 進进 遞递 郵邮 鄉乡 鄰邻
陽阳 陰阴 際际 陸陆 隊队 階阶 隨随 險险 隱隐 難难 雜杂 雲云 霧雾 靈灵 韓韩 響响 髒脏 鬆松
麥麦 黃黄 齊齐 齒齿 龍龙 龜龟 區区 醫医 華华 協协 參参 臺台 檯台 嚴严 圖图 團团 糰团 園园
圍围 國国 圓圆 壞坏 場场 塊块 壓压 堅坚 壯壮 聲声 壺壶 備备 夠够 夢梦 奪夺 奮奋 婦妇 媽妈
孫孙 寶宝 寧宁 審审 寫写 寬宽 將将 專专 尋寻 導导 屆届 層层 屬属 島岛 帶带 幣币 幫帮
幹干 乾干 廳厅 廁厕 廚厨 廢废 張张 強强 彈弹 彎弯 徑径 復复 複复 徵征 憂忧 懷怀 慣惯 懶懒
戀恋 戶户 戲戏 戰战 擇择 擊击 拋抛 掛挂 揚扬 換换 損损 搖摇 搶抢 擁拥 擋挡 據据 擔担 擾扰
攝摄 擺摆 擴扩 攤摊 撥拨 撐撑 撿捡 擠挤 擬拟 敗败 敵敌 斷断 晝昼 暫暂 曆历 歷历 條条 極极
構构 標标 樓楼 權权 檢检 櫃柜 槍枪 樹树 橋桥 檔档 欄栏 殘残 殺杀 氣气 漢汉 湯汤 溝沟 滿满
漲涨 測测 濕湿 準准 潔洁 濃浓 灣湾 灑洒 濟济 滅灭 滯滞 滷卤 鹵卤 鹽盐 鹹咸 煙烟 熱热 燒烧
燈灯 營营 燙烫 爐炉 爭争 爺爷 牆墙 狀状 猶犹 獎奖 獨独 獲获 環环 畫画 疊叠 療疗 瘋疯 癢痒
盡尽 儘尽 監监 盤盘 眾众 睏困 瞭了 礎础 確确 碼码 禮礼 禍祸 稱称 穩稳 積积 窮穷 競竞 筆笔
範范 築筑 簡简 籃篮 籤签 簽签 糧粮 義义 聖圣 聯联 聰聪 聽听 職职 脫脱 腦脑 膚肤 膠胶 臉脸
臨临 興兴 舉举 舊旧 藝艺 節节 莊庄 葉叶 著着 蘋苹 蔥葱 藥药 蘭兰 蟲虫 蠟蜡 補补 裝装 製制
襪袜 襯衬 見见 規规 視视 親亲 覺觉 覽览 觀观 觸触 趕赶 跡迹 躍跃 辭辞 農农 遷迁 醜丑 醬酱
釋释 陳陈 陣阵 隻只 雖虽 離离 鬥斗 麗丽 麵面 黨党 齡龄 優优 億亿 價价 儲储 傳传 傷伤 僅仅
債债 傘伞 僱雇 儀仪 偉伟 側侧 倆俩 偽伪 傢家 傑杰 償偿 兒儿 內内 冊册 凍冻 劃划 劇剧 勞劳
勢势 勵励 勁劲 勝胜 厲厉 叢丛 啟启 喚唤 喪丧 嚇吓 嘗尝 噸吨 嚨咙 嗚呜 嘆叹 噴喷 嚮向 囉啰
塗涂 墊垫 壇坛 奧奥 妝妆 嬰婴 寢寝 寵宠 尷尴 屜屉 嶺岭 帥帅 廂厢 廈厦 彌弥 徹彻 恆恒 惡恶
惱恼 愛爱 慮虑 憑凭 憶忆 懇恳 捨舍 掃扫 掙挣 揀拣 撈捞 攬揽 敘叙 於于 晉晋 暈晕 曉晓 暢畅
曬晒 棄弃 棟栋 楊杨 榮荣 槓杠 樁桩 橫横 櫥橱 歐欧 歸归 毀毁 決决 沖冲 衝冲 況况 淨净 淺浅
減减 湧涌 溫温 滬沪 漁渔 潛潜 澀涩 濾滤 瀏浏 灘滩 災灾 爛烂 牽牵 獸兽 瑪玛 異异 癒愈 皺皱
盜盗 睜睁 礙碍 祕秘 稅税 穀谷 窩窝 筍笋 篩筛 簾帘 籠笼 羨羡 翹翘 脅胁 脹胀 膩腻 艱艰 蓋盖
蘆芦 蘿萝 虧亏 術术 衛卫 褲裤 襲袭 趨趋 遊游 違违 遙遥 鄭郑 醃腌 陝陕 靜静 韻韵 颳刮 骯肮
鬍胡 鬱郁 鹼碱 黴霉 龐庞 週周 並并 併并 佈布 夥伙 蘇苏 螢萤 幀帧 奬奖 臟脏
嗆呛 囑嘱 彙汇 匯汇 噁恶 嬤嬷 幟帜 擲掷 攜携 撫抚 斃毙 殼壳 燉炖 爾尔 瓏珑 疇畴
磚砖 穫获 竄窜 籌筹 絢绚 縷缕 繞绕 繼继 纏缠 聳耸 膽胆 艦舰 薦荐 虛虚 螞蚂 蠻蛮 襖袄 訝讶
詩诗 誕诞 謂谓 謙谦 譏讥 豎竖 豈岂 賊贼 贖赎 蹤踪 軸轴 辯辩 邁迈 鄒邹 醞酝 釀酿 鈣钙 鉀钾
鋅锌 錫锡 鍊炼 煉炼 闡阐 隸隶 雛雏 韌韧 頰颊 餚肴 騰腾 鬨哄 鱗鳞 鷹鹰 麩麸 齋斋
剛刚 創创 劍剑 勸劝 嘍喽 嚕噜 墳坟 壩坝 孃娘 屍尸 巖岩 廬庐 彆别
慚惭 懸悬 擱搁 攏拢 暱昵 朧胧 櫻樱 毆殴 氈毡 淪沦 渾浑 滾滚 漸渐 澤泽 濺溅 瀉泻 烏乌
熒荧 燭烛 犧牺 獵猎 璽玺 瓊琼 甕瓮 癡痴 盞盏 瞞瞒 礦矿 祿禄 稈秆 窯窑 簫箫 籬篱 絆绊 綢绸
緞缎 縛缚 繃绷 纓缨 羶膻 聵聩 脈脉 腎肾 膿脓 艙舱 芻刍 薑姜 藍蓝 蘊蕴 虜虏 蝕蚀 蟬蝉 衊蔑
褸褛 覓觅 詛诅 誣诬 諧谐 謎谜 譴谴 豔艳 贓赃 趙赵 踐践 躉趸 轎轿 辮辫 遜逊 鄧邓 鈔钞
鉛铅 銳锐 鋒锋 鏟铲 閩闽 闢辟 隕陨 雋隽 靂雳 韋韦 顫颤 飆飙 餞饯 駁驳 驟骤 鬢鬓 鯊鲨
鵬鹏 齣出 龕龛 麽么 刪删
業业 員员 別别 腳脚
";

/// The Traditional → Simplified map, built once.
pub(crate) fn table() -> &'static HashMap<char, char> {
    static TABLE: OnceLock<HashMap<char, char>> = OnceLock::new();
    TABLE.get_or_init(|| {
        PAIRS
            .split_whitespace()
            .filter_map(|pair| {
                let mut cs = pair.chars();
                match (cs.next(), cs.next(), cs.next()) {
                    (Some(t), Some(s), None) if t != s => Some((t, s)),
                    _ => None,
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_is_two_characters() {
        for pair in PAIRS.split_whitespace() {
            assert_eq!(pair.chars().count(), 2, "bad pair {pair:?}");
        }
    }

    #[test]
    fn no_traditional_character_maps_to_two_forms() {
        let mut seen: HashMap<char, char> = HashMap::new();
        for pair in PAIRS.split_whitespace() {
            let mut cs = pair.chars();
            let (t, s) = (cs.next().unwrap(), cs.next().unwrap());
            if let Some(prev) = seen.insert(t, s) {
                assert_eq!(prev, s, "{t} maps to both {prev} and {s}");
            }
        }
    }

    #[test]
    fn no_simplified_character_is_itself_rewritten() {
        let t = table();
        for (&from, &to) in t {
            assert!(!t.contains_key(&to), "{from} → {to} → {}", t[&to]);
        }
    }

    #[test]
    fn common_words_convert() {
        let t = table();
        let conv = |s: &str| -> String { s.chars().map(|c| *t.get(&c).unwrap_or(&c)).collect() };
        assert_eq!(conv("訂單號碼"), "订单号码");
        assert_eq!(conv("請問幾點開門"), "请问几点开门");
        assert_eq!(conv("發票抬頭寫錯了"), "发票抬头写错了");
        assert_eq!(conv("退貨運費誰出"), "退货运费谁出");
    }
}
