"""Places and names of Kaiping (開平市): towns and some of their villages, and names that
people born there between the 1930s and the 1960s commonly carry."""

from __future__ import annotations

from typing import Final

# Town (鎮/街道) → villages. Real village names where known (自力村, 馬降龍, 錦江里, …),
# completed with the common naming patterns of the area.
TOWNS: Final[dict[str, tuple[str, ...]]] = {
    "長沙街道": ("楊梅村", "幕村", "東埠村", "新昌社區", "祥龍社區"),
    "三埠街道": ("荻海村", "新昌村", "迳頭村", "燈湖社區", "東郊村"),
    "月山鎮": ("博健村", "水井村", "橋頭村", "高嶺村", "新美村"),
    "水口鎮": ("後溪村", "龍塘村", "東埠村", "泮村", "唐美村"),
    "沙塘鎮": ("永盛村", "塘浪村", "西村", "南屏村", "龍田村"),
    "蒼城鎮": ("潭溪村", "東聯村", "西山村", "蒼江村"),
    "龍勝鎮": ("紅花村", "龍溪村", "大嶺村", "布村", "萬興村"),
    "大沙鎮": ("大塘村", "竹蓮塘村", "夫岡村", "四九村"),
    "馬岡鎮": ("馬岡村", "大冲村", "龍平村", "南興村"),
    "塘口鎮": ("自力村", "強亞村", "北義村", "塘口村", "升平村"),
    "赤坎鎮": ("三門里", "靈源村", "五龍村", "塘美村", "新建村"),
    "百合鎮": ("馬降龍村", "齊塘村", "東和村", "茅岡村"),
    "蚬岡鎮": ("錦江里", "春浦村", "東溪村", "蚬岡村"),
    "金雞鎮": ("錦湖村", "儒良村", "金雞村", "大同村"),
    "赤水鎮": ("羊路村", "冲澄村", "東山村", "赤水村"),
    "翠山湖": ("翠山湖社區", "新圩村"),
}

# Kaiping's great lineages (關, 司徒, 謝, 周, 張, 吳, 方, 胡, 梁, 黃, 譚, 許) first.
SURNAMES: Final = (
    "關",
    "司徒",
    "謝",
    "周",
    "張",
    "吳",
    "方",
    "胡",
    "梁",
    "黃",
    "譚",
    "許",
    "李",
    "陳",
    "劉",
    "鄧",
    "余",
    "何",
    "甄",
    "鄭",
)

GIVEN_FEMALE: Final = (
    "桂英",
    "秀英",
    "玉蘭",
    "淑芬",
    "瑞芳",
    "彩蓮",
    "月娥",
    "金好",
    "亞妹",
    "惠芳",
    "麗珍",
    "鳳群",
    "桂芳",
    "少冰",
    "美華",
    "秀珍",
    "玉清",
    "愛群",
    "帶娣",
    "潔貞",
)

GIVEN_MALE: Final = (
    "國華",
    "建國",
    "振華",
    "耀祖",
    "錦榮",
    "炳坤",
    "德明",
    "志強",
    "家樂",
    "偉文",
    "桂林",
    "沛權",
    "兆康",
    "植槐",
    "達成",
    "永樂",
    "景棠",
    "秉權",
    "煥章",
    "啟明",
)

GIVEN_YOUNG: Final = (
    "偉強",
    "志明",
    "麗華",
    "嘉欣",
    "俊傑",
    "詠儀",
    "健雄",
    "美玲",
    "家豪",
    "少芬",
)

STREETS: Final = ("大街", "新街", "中約", "東約", "西約", "南巷", "北巷", "圍仔")

# Why an elder (or the family) declines the town's visits, as town staff write it down in
# the file (the plan records every refusal with its reason and date).
REFUSAL_REASONS: Final = (
    "本人表示子女每週回家照顧，不需要上門探訪",
    "家屬代為拒絕，稱老人怕生，不願外人入屋",
    "本人表示身體尚好，不想麻煩村委",
    "老人聽力差，多次上門不願開門，經勸說仍拒絕",
    "已入住親屬家中，家屬拒絕探訪",
    "本人擔心上門人員是推銷保健品，拒絕接待",
)

# Mobile prefixes of the three carriers; the numbers themselves are made up.
PHONE_PREFIXES: Final = ("138", "139", "135", "137", "186", "133", "189", "158")
