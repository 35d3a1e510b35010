"""Demo data of lots: courts, accounts, enforcement cases, 14 lots with media and rounds in every state.

Loaded first by `manage.py load_demo` (valuation, escrow, bidding and settlement add theirs after).
All figures are in fen. Times are relative to `clock.now()` so the demo always shows live rounds.
The rounds and their states are listed in docs/catalogue.md (other demo modules look them up by
lot title / round number, see `DEMO_ROUNDS`).
"""

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from accounts.demo import PASSWORD
from accounts.models import Court, User
from accounts.rules import resident_id_check_char, uscc_check_char
from auction_site import clock
from auction_site.money import yuan
from lots import demo_images as pics
from lots import rounds, services
from lots.models import CaseParty, EnforcementCase, Lot, Media, Round

SHANGHAI = ZoneInfo("Asia/Shanghai")


def Y(yuan: int | float) -> int:  # noqa: N802 - reads like the unit it converts
    """Whole yuan (or yuan with jiao/fen as a decimal literal) -> integer fen."""
    return int(round(Decimal(str(yuan)) * 100))


def resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


# ---------------------------------------------------------------- people

COURTS = [
    {"key": "sz", "name": "江苏省苏州市中级人民法院", "code": "苏05", "province": "江苏", "city": "苏州",
     "contact": "执行局 周法官 0512-68556123；地址：苏州市姑苏区三香路1046号"},
    {"key": "hz", "name": "浙江省杭州市西湖区人民法院", "code": "浙0106", "province": "浙江", "city": "杭州",
     "contact": "执行局 沈法官 0571-87961234；地址：杭州市西湖区文三路2号"},
]

JUDGES = [("judge_suzhou", "周敏", "sz"), ("judge_hangzhou", "沈立", "hz")]

BIDDERS = [
    ("bidder_zhang", "张伟", resident_id("32050519850312401"), "13812340001"),
    ("bidder_li", "李娜", resident_id("33010619900723202"), "13812340002"),
    ("bidder_wang", "王芳", resident_id("32058319781105302"), "13812340003"),
    ("bidder_zhao", "赵磊", resident_id("11010819921218501"), "13812340004"),
    ("bidder_chen", "陈静", resident_id("31011519880830602"), "13812340005"),
    ("bidder_corp", "苏州恒信资产管理有限公司", uscc("91320505MA1XK7Q8T"), "051268001234"),
]

PARTIES = [
    ("party_applicant", "苏州银行股份有限公司", uscc("91320000768299651"), "applicant"),
    ("party_debtor", "张建国", resident_id("32050219700415701"), "respondent"),
]


# ---------------------------------------------------------------- time helpers

def at_ten(now: datetime, days: int) -> datetime:
    """10:00 Shanghai time, `days` from today (listings usually run 10:00 to 10:00)."""
    local = now.astimezone(SHANGHAI).date() + timedelta(days=days)
    return datetime(local.year, local.month, local.day, 10, 0, tzinfo=SHANGHAI)


def minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


# ---------------------------------------------------------------- lots

@dataclass
class RoundSpec:
    status: str
    starting: int  # fen
    deposit: int
    increment: int
    starts: datetime
    ends: datetime
    kind: str = "auction"
    published: datetime | None = None
    sold_price: int | None = None
    reason: str = ""


@dataclass
class LotSpec:
    key: str
    case: str
    title: str
    category: str
    location: str
    city: str
    description: str
    size: str | None
    size_unit: str
    year_built: int | None
    title_status: str
    occupancy: str
    defects: str
    tax_payer: str
    judgment: str
    reference: int
    reference_source: str
    picture: tuple  # (function name, kwargs)
    panoramas: list = field(default_factory=list)  # [(title, outdoor)]
    priority_holders: list = field(default_factory=list)  # [(name, id, rank, basis)]
    rounds: list = field(default_factory=list)


CASES = [
    # (court, case number, applicants, respondents, amount owed in fen, linked party users)
    ("sz", "(2024)苏05执123号", ["苏州银行股份有限公司"], ["张建国"], Y(5_280_000), True),
    ("sz", "(2024)苏05执456号", ["中国工商银行股份有限公司苏州分行"], ["苏州恒远商贸有限公司"], Y(46_500_000), False),
    ("sz", "(2023)苏05执789号", ["江苏张家港农村商业银行股份有限公司"], ["张家港市恒顺航运有限公司"], Y(9_860_000), False),
    ("sz", "(2024)苏05执1024号", ["苏州工业园区融资租赁有限公司"], ["苏州精工机械制造有限公司"], Y(2_150_000), False),
    ("hz", "(2024)浙0106执1566号", ["杭州银行股份有限公司西湖支行"], ["李明"], Y(7_320_000), False),
    ("hz", "(2024)浙0106执2088号", ["浙江钱塘创业投资合伙企业（有限合伙）"], ["王晓东"], Y(18_000_000), False),
    ("hz", "(2024)浙0106执3120号", ["陈国强"], ["赵永刚"], Y(980_000), False),
]


# The catalogue's region and sub-type filters: (province, district, sub-type) of each demo lot.
PLACES = {
    "sz_apartment": ("江苏", "工业园区", "residential"), "sz_shop": ("江苏", "姑苏区", "shop"),
    "sz_land": ("江苏", "吴江区", "industrial_land"), "sz_villa": ("江苏", "昆山市", "villa"), "sz_ship": ("江苏", "张家港市", "ship"),
    "sz_machinery": ("江苏", "相城区", "machinery"), "sz_excavator": ("江苏", "相城区", "machinery"),
    "hz_car": ("浙江", "西湖区", "car"), "hz_truck": ("浙江", "西湖区", "truck"), "hz_equity": ("浙江", "西湖区", "equity"),
    "hz_jewellery": ("浙江", "西湖区", "jewellery"), "hz_parking": ("浙江", "西湖区", "parking"),
    "hz_apartment": ("浙江", "西湖区", "residential"), "hz_office": ("浙江", "西湖区", "office"),
}


def lot_specs(now: datetime) -> list[LotSpec]:
    h, d = timedelta(hours=1), timedelta(days=1)
    n = minute(now)
    return [
        LotSpec(
            "sz_apartment", "(2024)苏05执123号",
            "苏州工业园区星湖街328号星湖花园12幢1单元1502室住宅", "real_estate",
            "江苏省苏州市工业园区星湖街328号星湖花园12幢1单元1502室", "苏州",
            "钢混结构高层住宅，共18层，标的位于第15层，三室两厅一厨一卫，南北通透，精装修。"
            "小区配套成熟，近地铁2号线星湖街站，周边有学校、商场及医院。",
            "118.56", "㎡", 2012,
            "不动产权证号：苏(2019)苏州工业园区不动产权第0012345号，权利人张建国，房屋用途住宅，土地使用权终止日期2078年6月30日。",
            "现由被执行人及其家属居住，法院负责腾退交付，交付时间以实际腾退为准。",
            "该房产已设定抵押（抵押权人苏州银行股份有限公司），另被苏州市姑苏区人民法院轮候查封；拍卖成交后由本院依法解除查封、涂销抵押。"
            "物业费欠缴约12,600元由买受人承担。",
            "each", "（2023）苏0591民初4521号民事判决书",
            Y(4_727_500), "委托评估：苏州天元房地产土地评估有限公司 苏天元估字(2024)第0312号",
            ("photo_building", {"kind": "apartment"}),
            panoramas=[("客厅", False), ("主卧", False)],
            rounds=[RoundSpec("open", Y(3_309_250), Y(500_000), Y(5_000), n - 21 * h, n + 3 * h)],
        ),
        LotSpec(
            "sz_shop", "(2024)苏05执456号",
            "苏州市姑苏区观前街88号1-2层商铺", "real_estate",
            "江苏省苏州市姑苏区观前街88号1-2层", "苏州",
            "临街商业用房，框架结构，共两层，层高4.5米，沿街展开面宽约21米，位于观前街核心商圈。",
            "1268.40", "㎡", 2006,
            "不动产权证号：苏(2018)苏州市不动产权第5023456号，权利人苏州恒远商贸有限公司，用途商业服务。",
            "现出租给苏州观前餐饮管理有限公司经营，租期至2026年12月31日，月租金185,000元；买受人承继租赁合同（买卖不破租赁）。",
            "已抵押给中国工商银行股份有限公司苏州分行；屋顶防水层局部渗漏，二层东侧墙面有裂缝，详见评估报告第四部分。",
            "buyer", "（2023）苏05民初1188号民事判决书",
            Y(16_839_300), "网络询价：三家司法网络询价平台结果平均值（参考价）",
            ("photo_building", {"kind": "shop"}),
            panoramas=[("一层营业厅", False)],
            priority_holders=[("苏州观前餐饮管理有限公司", uscc("91320508MA1N2P3Q4"), 1, "承租人优先购买权（民法典第七百二十六条）")],
            rounds=[RoundSpec("announced", Y(11_787_511), Y(2_357_502), Y(58_000), at_ten(now, 20), at_ten(now, 21),
                              published=at_ten(now, 20) - 31 * d)],
        ),
        LotSpec(
            "sz_land", "(2024)苏05执456号",
            "苏州市吴江区汾湖高新区临沪大道东侧国有建设用地使用权", "real_estate",
            "江苏省苏州市吴江区汾湖高新区临沪大道东侧", "苏州",
            "工业用地，出让取得，宗地形状规整，四至：东至规划河道，南至汾湖大道，西至临沪大道，北至企业厂房；地块平整，未建设。",
            "26680.50", "㎡", None,
            "不动产权证号：苏(2017)吴江区不动产权第9001234号，土地用途工业用地，终止日期2066年3月15日。",
            "空置，无人占用。",
            "地块北侧约300㎡被相邻企业临时堆放物料；土地出让合同约定的投资强度未达标，买受人须承继出让合同义务。",
            "each", "（2023）苏05民初1188号民事判决书",
            Y(38_500_000), "定向询价：苏州市吴江区自然资源和规划局基准地价",
            ("photo_building", {"kind": "land"}),
            panoramas=[("宗地现场", True)],
            rounds=[RoundSpec("draft", Y(26_950_000), Y(5_000_000), Y(100_000), at_ten(now, 40), at_ten(now, 41))],
        ),
        LotSpec(
            "sz_villa", "(2024)苏05执123号",
            "昆山市花桥镇绿地大道199号悦湖别墅18幢", "real_estate",
            "江苏省苏州市昆山市花桥镇绿地大道199号悦湖别墅18幢", "苏州",
            "独栋别墅，地上三层、地下一层，带前后花园约160㎡及两个车位，毛坯。",
            "356.72", "㎡", 2015,
            "不动产权证号：苏(2016)昆山市不动产权第0088123号，权利人张建国。",
            "空置。",
            "地下室有渗水痕迹；花园围墙为原业主自行搭建，未办理规划手续。",
            "each", "（2023）苏0591民初4521号民事判决书",
            Y(8_600_000), "当事人议价：申请执行人与被执行人一致确认",
            ("photo_building", {"kind": "villa"}),
            panoramas=[("客厅", False)],
            rounds=[RoundSpec("sold", Y(6_020_000), Y(1_000_000), Y(20_000), at_ten(now, -6), at_ten(now, -5),
                              published=at_ten(now, -6) - 32 * d, sold_price=Y(7_180_000))],
        ),
        LotSpec(
            "sz_ship", "(2023)苏05执789号",
            "“恒顺8”号钢质散货船", "movable",
            "江苏省张家港市长江张家港港区锚地", "苏州",
            "钢质散货船，总长96.8米，型宽15.8米，载重吨5,180吨，主机功率1,765千瓦，船籍港张家港。",
            "5180", "吨", 2011,
            "船舶所有权登记证书号：100911000345，所有权人张家港市恒顺航运有限公司；船舶国籍证书有效期至2025年5月。",
            "由本院委托张家港港务公司看管，停泊于锚地。",
            "设有船舶抵押权（抵押权人江苏张家港农村商业银行股份有限公司）；船员工资优先权约38万元由法院在价款中依法清偿；船舶年检已过期。",
            "buyer", "（2022）苏72民初566号民事判决书（南京海事法院）",
            Y(8_650_000), "委托评估：江苏华信船舶评估有限公司 华信评字(2023)第078号",
            ("photo_ship", {}),
            rounds=[
                RoundSpec("failed", Y(6_055_000), Y(605_500), Y(20_000), at_ten(now, -40), at_ten(now, -39), published=at_ten(now, -40) - 16 * d),
                RoundSpec("failed", Y(4_844_000), Y(484_400), Y(20_000), at_ten(now, -31), at_ten(now, -30), published=at_ten(now, -31) - 8 * d),
                RoundSpec("open", Y(4_844_000), Y(484_400), Y(20_000), at_ten(now, -10), at_ten(now, 50), kind="selloff", published=at_ten(now, -12)),
            ],
        ),
        LotSpec(
            "sz_machinery", "(2024)苏05执1024号",
            "数控加工中心及配套设备一批（共12台套）", "movable",
            "江苏省苏州市相城区黄埭镇春兴路18号厂房内", "苏州",
            "包括立式加工中心VMC850共6台、数控车床CK6150共4台、空压机2台，2018年购置，可正常运行，详见设备清单。",
            "12", "台套", 2018,
            "设备为被执行人所有，有购置发票；其中2台设有动产抵押登记。",
            "存放于被执行人厂房内，由被执行人看管，买受人自行拆除搬运。",
            "部分设备数控系统需重新授权；2台立式加工中心主轴有异响；拆除搬运费用由买受人承担。",
            "buyer", "（2024）苏0507民初233号民事调解书",
            Y(1_280_000), "网络询价：三家司法网络询价平台结果平均值",
            ("photo_machinery", {}),
            rounds=[
                RoundSpec("failed", Y(896_000), Y(89_600), Y(5_000), at_ten(now, -9), at_ten(now, -8), published=at_ten(now, -9) - 16 * d),
                RoundSpec("announced", Y(716_800), Y(71_680), Y(3_000), at_ten(now, 5), at_ten(now, 6), published=at_ten(now, -3)),
            ],
        ),
        LotSpec(
            "sz_excavator", "(2024)苏05执1024号",
            "小松PC200-8M0履带式挖掘机一台", "movable",
            "江苏省苏州市相城区黄埭镇春兴路18号厂区", "苏州",
            "小松PC200-8M0，工作小时约9,800小时，斗容0.8立方米，可正常启动。",
            "1", "台", 2016,
            "有购置发票及合格证，所有权人苏州精工机械制造有限公司。",
            "停放于厂区内。",
            "履带磨损较大，驾驶室玻璃破损一块；无牌照（非道路移动机械）。",
            "buyer", "（2024）苏0507民初233号民事调解书",
            Y(420_000), "网络询价：三家司法网络询价平台结果平均值",
            ("photo_machinery", {}),
            rounds=[RoundSpec("failed", Y(294_000), Y(30_000), Y(2_000), at_ten(now, -4), at_ten(now, -3), published=at_ten(now, -4) - 16 * d)],
        ),
        LotSpec(
            "hz_car", "(2024)浙0106执1566号",
            "浙A·8K2M6 梅赛德斯-奔驰E300L轿车", "vehicle",
            "浙江省杭州市西湖区留下街道法院车辆停放点", "杭州",
            "2019年3月初次登记，行驶里程约8.6万公里，黑色，排量2.0T，车况良好，钥匙一把。",
            "1", "辆", 2019,
            "机动车登记证书编号：330012345678，所有人李明。",
            "已由法院扣押，停放于法院指定停车场。",
            "有未处理交通违章3条（罚款600元）由买受人处理；交强险已过期。",
            "buyer", "（2023）浙0106民初8899号民事判决书",
            Y(228_000), "网络询价：三家司法网络询价平台结果平均值",
            ("photo_vehicle", {"kind": "car"}),
            rounds=[RoundSpec("sold", Y(159_600), Y(20_000), Y(2_000), at_ten(now, -3), at_ten(now, -2), published=at_ten(now, -3) - 16 * d, sold_price=Y(203_600))],
        ),
        LotSpec(
            "hz_truck", "(2024)浙0106执3120号",
            "浙A·F6D35 解放J6P重型厢式货车", "vehicle",
            "浙江省杭州市西湖区三墩镇车辆停放点", "杭州",
            "2021年6月初次登记，行驶里程约21万公里，柴油，厢长9.6米，可正常行驶。",
            "1", "辆", 2021,
            "机动车登记证书编号：330098765432，所有人赵永刚。",
            "已扣押，停放于法院指定停车场。",
            "车辆有一起未结保险理赔记录；营运证已过期。",
            "buyer", "（2024）浙0106民初1201号民事判决书",
            Y(186_000), "网络询价：三家司法网络询价平台结果平均值",
            ("photo_vehicle", {"kind": "truck"}),
            rounds=[RoundSpec("open", Y(130_200), Y(15_000), Y(1_000), n - 4 * h, n + 20 * h, published=n - 4 * h - 16 * d)],
        ),
        LotSpec(
            "hz_equity", "(2024)浙0106执2088号",
            "王晓东持有的杭州启明星科技有限公司35%股权", "equity",
            "浙江省杭州市西湖区西斗门路3号天堂软件园", "杭州",
            "杭州启明星科技有限公司注册资本1,000万元，主营软件开发；被执行人认缴并实缴出资350万元，占35%。",
            "35", "%", None,
            "股权登记于杭州市西湖区市场监督管理局，已被本院冻结。",
            "不适用。",
            "公司2023年度亏损约120万元；公司章程对股权转让无特别限制；其他股东享有同等条件下的优先购买权。",
            "each", "（2023）浙0106民初6677号民事判决书",
            Y(5_600_000), "委托评估：浙江中衡资产评估有限公司 浙中衡评报字(2024)第155号",
            ("photo_document", {"kind": "equity"}),
            priority_holders=[("杭州启明投资管理有限公司", uscc("91330106MA2H3J4K5"), 1, "其他股东优先购买权（公司法第八十四条）")],
            rounds=[RoundSpec("closed", Y(3_920_000), Y(400_000), Y(20_000), n - 24 * h - 30 * timedelta(minutes=1), n - 30 * timedelta(minutes=1),
                              published=n - 24 * h - 31 * d)],
        ),
        LotSpec(
            "hz_jewellery", "(2024)浙0106执3120号",
            "翡翠手镯、黄金首饰及珍珠项链一批（共18件）", "movable",
            "浙江省杭州市西湖区人民法院涉案物品保管室", "杭州",
            "包括翡翠手镯2只、足金戒指6枚（总重约38.6克）、珍珠项链1条等，附浙江省珠宝玉石检测中心鉴定证书。",
            "18", "件", None,
            "扣押物品，所有人赵永刚。",
            "由本院保管。",
            "部分首饰有磨损；翡翠手镯之一有棉絮纹理（非裂纹），以鉴定证书为准。",
            "buyer", "（2024）浙0106民初1201号民事判决书",
            Y(320_000), "委托评估：浙江省珠宝玉石首饰检测中心",
            ("photo_jewellery", {}),
            rounds=[RoundSpec("suspended", Y(224_000), Y(30_000), Y(1_000), at_ten(now, 3), at_ten(now, 4), published=at_ten(now, -13),
                              reason="案外人孙某提出执行异议，本院依法中止拍卖，异议审查结束后五日内恢复（网拍规定第二十八条）。")],
        ),
        LotSpec(
            "hz_parking", "(2024)浙0106执3120号",
            "杭州市西湖区紫金港路21号紫金花园地下车位B2-136使用权", "other",
            "浙江省杭州市西湖区紫金港路21号紫金花园地下二层", "杭州",
            "地下机动车停车位使用权，标准车位，剩余使用年限约52年。",
            "13.20", "㎡", 2014,
            "车位使用权转让协议及备案，使用权人赵永刚。",
            "由被执行人使用。",
            "车位管理费欠缴约2,400元由买受人承担。",
            "buyer", "（2024）浙0106民初1201号民事判决书",
            Y(260_000), "网络询价：三家司法网络询价平台结果平均值",
            ("photo_document", {"kind": "parking"}),
            rounds=[RoundSpec("withdrawn", Y(182_000), Y(20_000), Y(1_000), at_ten(now, 12), at_ten(now, 13), published=at_ten(now, -20),
                              reason="被执行人已全部履行生效法律文书确定的义务，本院撤回拍卖（网拍规定第二十八条）。")],
        ),
        LotSpec(
            "hz_apartment", "(2024)浙0106执1566号",
            "杭州市西湖区文三路478号华星花园3幢2单元601室住宅", "real_estate",
            "浙江省杭州市西湖区文三路478号华星花园3幢2单元601室", "杭州",
            "砖混结构多层住宅，共7层，标的位于第6层，两室一厅，朝南，简装；学区房（文三街小学）。",
            "78.35", "㎡", 1998,
            "不动产权证号：浙(2018)杭州市不动产权第0234567号，权利人李明、刘芳（共有），本院仅拍卖李明份额以外部分已征得共有人同意整体拍卖。",
            "现出租给案外人，租期至2025年8月，租金已一次性付清至租期届满；法院不负责清场。",
            "房屋有抵押（杭州银行股份有限公司西湖支行）；户口迁出情况不明，由买受人自行核实。",
            "each", "（2023）浙0106民初8899号民事判决书",
            Y(6_350_000), "网络询价：三家司法网络询价平台结果平均值",
            ("photo_building", {"kind": "apartment"}),
            panoramas=[("客厅", False)],
            priority_holders=[("刘芳", resident_id("33010619720301102"), 1, "共有人优先购买权（民法典第三百零五条）")],
            rounds=[RoundSpec("open", Y(4_445_000), Y(600_000), Y(10_000), n - 1 * d, n + 2 * d, published=n - 32 * d)],
        ),
        LotSpec(
            "hz_office", "(2024)浙0106执2088号",
            "杭州市西湖区天目山路181号天际大厦1801-1806室办公用房", "real_estate",
            "浙江省杭州市西湖区天目山路181号天际大厦18层", "杭州",
            "甲级写字楼整层东侧6个单元，框架剪力墙结构，精装修，带家具，可分割使用。",
            "1106.25", "㎡", 2010,
            "不动产权证号：浙(2015)杭州市不动产权第0345678号，权利人王晓东，用途办公。",
            "空置，钥匙由本院保管。",
            "欠缴物业管理费约15.8万元、水电费约2.1万元，由买受人承担；1803室吊顶有漏水痕迹。",
            "each", "（2023）浙0106民初6677号民事判决书",
            Y(12_800_000), "委托评估：浙江中衡资产评估有限公司 浙中衡评报字(2024)第156号",
            ("photo_building", {"kind": "office"}),
            panoramas=[("办公区", False)],
            rounds=[RoundSpec("announced", Y(8_960_000), Y(1_500_000), Y(50_000), at_ten(now, 30), at_ten(now, 31), published=at_ten(now, -2))],
        ),
    ]


# Round titles other demo modules can rely on: (lot key, round number) -> status after loading.
DEMO_ROUNDS = {
    ("sz_apartment", 1): "open", ("sz_shop", 1): "announced", ("sz_land", 1): "draft", ("sz_villa", 1): "sold",
    ("sz_ship", 1): "failed", ("sz_ship", 2): "failed", ("sz_ship", 3): "open", ("sz_machinery", 1): "failed",
    ("sz_machinery", 2): "announced", ("sz_excavator", 1): "failed", ("hz_car", 1): "sold", ("hz_truck", 1): "open",
    ("hz_equity", 1): "closed", ("hz_jewellery", 1): "suspended", ("hz_parking", 1): "withdrawn",
    ("hz_apartment", 1): "open", ("hz_office", 1): "announced",
}


def _ensure_bucket() -> None:
    if not settings.MEDIA_USES_S3:
        return
    try:
        from lots.media import ensure_bucket  # platform helper, when present
    except ImportError:
        ensure_bucket = None
    if ensure_bucket is not None:
        ensure_bucket()
        return
    storage = default_storage
    client = storage.connection.meta.client
    try:
        client.head_bucket(Bucket=storage.bucket_name)
    except Exception:
        client.create_bucket(Bucket=storage.bucket_name)


def report_pdf(title: str, lines: list[str]) -> bytes:
    """A small A4 PDF with a title and wrapped Chinese lines (demo reports of lots and valuations)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(title)
    c.setFont("STSong-Light", 16)
    c.drawCentredString(A4[0] / 2, A4[1] - 72, title)
    c.setFont("STSong-Light", 10.5)
    y = A4[1] - 110
    for line in lines:
        while line:
            chunk, line = line[:44], line[44:]
            c.drawString(60, y, chunk)
            y -= 18
        y -= 4
    c.showPage()
    c.save()
    return buf.getvalue()


def _store(lot: Lot, kind: str, title: str, name: str, data: bytes, content_type: str, position: int, now: datetime) -> Media:
    key = default_storage.save(f"lots/{lot.pk}/demo/{name}", ContentFile(data))
    return Media.objects.create(lot=lot, kind=kind, title=title, key=key, content_type=content_type, size=len(data),
                                status=Media.Status.READY, position=position, created_at=now)


def _announcement(lot: Lot, court: Court, spec: RoundSpec, number: int) -> str:
    local = spec.starts.astimezone(SHANGHAI)
    end = spec.ends.astimezone(SHANGHAI)
    which = "变卖" if spec.kind == "selloff" else ("第一次拍卖" if number == 1 else f"第{number}次拍卖")
    return (
        f"{court.name}将于{local:%Y年%m月%d日%H时}至{end:%Y年%m月%d日%H时}止（延时除外）在本平台对“{lot.title}”进行{which}公开竞价，现公告如下：\n"
        f"一、起拍价{yuan(spec.starting)}元，保证金{yuan(spec.deposit)}元，增价幅度{yuan(spec.increment)}元。"
        f"参考价{yuan(lot.reference_price)}元（{lot.reference_price_source}）。\n"
        "二、竞买人应于竞价结束前在本平台交纳保证金，保证金以竞买人本人名义交纳；交纳后取得竞买代码，竞价结束前任何人不得知悉竞买人身份。\n"
        "三、竞价期间最后5分钟内有人出价的，竞价结束时间自该出价时点顺延5分钟。\n"
        "四、拍卖成交后，买受人应在10日内将余款交至本案账户；悔拍的，保证金不予退还。未成交竞买人的保证金在竞价结束后24小时内退还。\n"
        f"五、标的物权属、占有使用、瑕疵及权利负担情况详见标的物介绍。咨询电话：{court.contact}。"
    )


@transaction.atomic
def load(stdout=None) -> None:
    now = clock.now()
    say = stdout.write if stdout else (lambda s: None)
    _ensure_bucket()
    password = make_password(PASSWORD)  # hashed once: demo accounts share the password

    courts = {}
    for c in COURTS:
        courts[c["key"]] = Court.objects.create(name=c["name"], code=c["code"], province=c["province"], city=c["city"], contact=c["contact"])

    users: list[User] = []
    for username, name, court_key in JUDGES:
        users.append(User(username=username, role="judge", real_name=name, court=courts[court_key], password=password))
    for username, name, idn, phone in BIDDERS:
        kind = "uscc" if username == "bidder_corp" else "resident_id"
        users.append(User(username=username, role="bidder", real_name=name, id_kind=kind, id_number=idn, phone=phone, password=password))
    for username, name, idn, _side in PARTIES:
        kind = "uscc" if idn[0] == "9" else "resident_id"
        users.append(User(username=username, role="party", real_name=name, id_kind=kind, id_number=idn, password=password))
    users.append(User(username="operator", role="operator", real_name="平台运营", is_staff=True, is_superuser=True, password=password))
    users.append(User(username="admin", role="operator", real_name="系统管理员", is_staff=True, is_superuser=True, password=password))
    User.objects.bulk_create(users)
    party_users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in PARTIES])}

    judges = {u.court_id: u for u in User.objects.filter(role="judge")}
    cases = {}
    for court_key, number, applicants, respondents, owed, linked in CASES:
        judge = judges[courts[court_key].pk]
        # through the service: case mirror, its parties and its own account (一案一账号), audited
        case = services.create_case(judge, case_number=number, applicants=applicants, respondents=respondents, amount_owed=owed)
        EnforcementCase.objects.filter(pk=case.pk).update(created_at=now - timedelta(days=120))  # backdated for the story
        cases[number] = case
        if linked:
            # the judge links the parties' accounts from the case page (lots.services.link_party), audited
            for side, username in (("applicant", "party_applicant"), ("respondent", "party_debtor")):
                services.link_party(judge, case=case, side=side, account=party_users[username].username,
                                    party_id=CaseParty.objects.get(case=case, side=side).pk)

    room_cache: dict[tuple[int, bool], bytes] = {}
    n_media = n_rounds = 0
    for i, spec in enumerate(lot_specs(now)):
        case = cases[spec.case]
        court = case.court
        judge = judges[court.pk]
        lot = services.create_lot(
            judge, case=case, title=spec.title, category=spec.category, description=spec.description, location=spec.location,
            city=spec.city, size=Decimal(spec.size) if spec.size else None, size_unit=spec.size_unit, year_built=spec.year_built,
            defects_and_encumbrances=spec.defects, occupancy=spec.occupancy, title_status=spec.title_status,
            transfer_tax_payer=spec.tax_payer, judgment_enforced=spec.judgment, seized_at=now - timedelta(days=100),
            province=PLACES[spec.key][0], district=PLACES[spec.key][1], subtype=PLACES[spec.key][2],
            priority_holders=[{"name": n, "id_number": idn, "rank": rank, "basis": basis} for n, idn, rank, basis in spec.priority_holders],
        )
        Lot.objects.filter(pk=lot.pk).update(created_at=now - timedelta(days=90))
        services.set_reference_price(judge, lot=lot, amount=spec.reference, source=spec.reference_source, fixed_at=now - timedelta(days=60), valid_until=now + timedelta(days=305))
        # media: two photos, the panoramas of real estate, one document
        fn_name, kwargs = spec.picture
        draw = getattr(pics, fn_name)
        pos = 0
        for k, label in enumerate(("外观", "细节")):
            data = draw(1000 + i * 10 + k, **kwargs)
            _store(lot, "photo", f"{label}照片", f"photo-{k + 1}.jpg", data, "image/jpeg", pos, now)
            pos += 1
        for k, (label, outdoor) in enumerate(spec.panoramas):
            variant = (i + k) % 2  # two rooms, generated once and reused (each takes about a second)
            if (variant, outdoor) not in room_cache:
                room_cache[(variant, outdoor)] = pics.panorama(7 + variant, outdoor=outdoor)
            _store(lot, "panorama", label, f"panorama-{k + 1}.jpg", room_cache[(variant, outdoor)], "image/jpeg", pos, now)
            pos += 1
        doc = report_pdf(f"{spec.title} 价格评估/询价报告（摘要）", [
            f"案号：{spec.case}", f"标的：{spec.title}", f"坐落：{spec.location}",
            f"参考价：{spec.reference // 100:,} 元", f"依据：{spec.reference_source}", f"权属：{spec.title_status}",
            f"瑕疵与权利负担：{spec.defects}", "本报告摘要仅供竞买人参考，以评估报告全文为准。",
        ])
        _store(lot, "document", "评估/询价报告（摘要）", "valuation-report.pdf", doc, "application/pdf", pos, now)
        n_media += pos + 1

        previous = None
        for number, rs in enumerate(spec.rounds, start=1):
            published = None if rs.status == "draft" else (rs.published or rs.starts - timedelta(days=31))
            fields = dict(
                lot=lot, number=number, kind=rs.kind, previous=previous, status=rs.status, starting_price=rs.starting,
                deposit=rs.deposit, increment=rs.increment, starts_at=rs.starts, ends_at=rs.ends, scheduled_ends_at=rs.ends,
                published_at=published, parties_notified_at=(published - timedelta(days=4)) if published else None,
                created_at=(published or now) - timedelta(days=5), status_reason=rs.reason,
                announcement=_announcement(lot, court, rs, number),
            )
            if rs.status in {"closed", "sold", "failed"}:
                fields["closed_at"] = rs.ends
            if rs.status == "sold":
                fields.update(sold_price=rs.sold_price, current_price=rs.sold_price,
                              balance_due_at=rs.ends + timedelta(days=Round._meta.get_field("balance_due_days").default))
            if rs.status == "suspended":
                fields.update(suspended_at=now - timedelta(days=1), suspended_from="announced",
                              # the objection was decided this morning: the workbench lists the 5-day resume deadline (A28)
                              suspension_cause_ended_at=now - timedelta(hours=2))
            if rs.status == "withdrawn":
                fields["withdrawn_at"] = now - timedelta(days=2)
            r = rounds.create(actor=None, action="round.demo_loaded", data={"status": rs.status, "starting_price": rs.starting, "number": number},
                              **fields)
            previous = r
            n_rounds += 1
    say(f"  lots: 2 courts, {len(users)} accounts (password {PASSWORD}), {len(cases)} cases, "
        f"{Lot.objects.count()} lots, {n_rounds} rounds, {n_media} media files\n")
