"""贵州省: the demo province. Scores and index prior follow Guizhou's published rule; deadlines the
Jiangsu 2022 norm that DOMAIN.md takes as default; SMS texts are Guizhou's off-site rating (离场评价).

Rules on ratings (API.md "Province rules on ratings" fixes the demo's settings), one of each:
- reason: required. A bad rating names a bad tag or writes a comment (Shandong's interface rule
  "差评必须勾选详情或填写文字评价", which the demo takes so that every ticket starts from a reason); over
  SMS a bad digit alone gets one text asking for the words, and the rating waits for them.
- rating period: 15 days after completion (办结), on every channel.
- default rating: yes, when those 15 days pass unrated, at 5 (非常满意) and counted as good: the
  common provincial practice of 超期未评价的视为满意 (a default rating is never a ticket, and is not an
  active rating: the active rating rate leaves it out).
- follow-up (追评): within 15 days of the rating it follows, and it replaces that rating in every figure
  (so a person who rates a case rated by default within 15 days of the default has the last word).
- sub-scores: GB/T 39734-2020's second-level indicators (二级指标), on site 服务效率, 服务水平, 服务态度
  and online 办事效率, 办事指南精确度, 办事便捷度, 平台操作性 (整体满意度 is `satisfaction` itself).

Tags: the bad ones are grouped by those same indicators, following the structure of GB/T 39734-2020
appendix A (差评评价内容, 规范性), whose table of contents and indicator table are public (bzxz.net,
github5.com/doc/18124 and the 好差评 评价内容标准 table reproduced at jiakaoti.com); the appendix's
option texts themselves were not found in public sources, so the wording of each tag is ours."""

from functions.core.domain.province import (
    Deadlines,
    IndexRule,
    ProvinceConfig,
    RatingRules,
    SmsTexts,
    SubScoreDimensions,
    TagSets,
)
from functions.export.targets import national_gbt39046, provincial_interface
from infra.provinces.deploy import ChannelPlan, DeployConfig, IdentityProvider

# Guizhou's data-source code at the national platform is not public (Zhejiang's is 133, Shandong's 165):
# a placeholder until the platform assigns it.
GUIZHOU_DATA_SOURCE = "152"

GUIZHOU = ProvinceConfig(
    code="520000000000",
    name="贵州省",
    tags=TagSets(
        good=(
            "服务态度好",
            "服务效率高",
            "一次办结",
            "材料精简",
            "可以在线预约",
            "办事指南清晰",
            "窗口引导到位",
            "网上办理便捷",
        ),
        bad=(
            # 服务态度 (on site)
            "服务态度生硬",
            "推诿扯皮",
            # 服务效率 / 办事效率
            "超过法定办理时间",
            "排队时间长",
            # 服务水平
            "多头跑",
            "与承诺不一致",
            "一次性告知不到位",
            # 办事指南精确度 (online)
            "办事指南有误",
            # 办事便捷度
            "材料要求繁琐",
            "重复提交材料",
            # 平台操作性
            "系统操作不便",
            "系统故障无法办理",
        ),
    ),
    allow_follow_up=True,
    ratings=RatingRules(
        reason_required=True,
        rating_period_days=15,
        follow_up_days=15,
        follow_up_replaces=True,
        default_rating=True,
        default_level=5,
        default_counts_good=True,
        sub_scores=SubScoreDimensions(
            on_site=("efficiency", "service", "attitude"),
            online=("efficiency", "guide", "convenience", "usability"),
        ),
    ),
    index=IndexRule(scores={5: 10, 4: 8, 3: 6, 2: 4, 1: 2}, initial=10.0, prior_weight=1.0),
    deadlines=Deadlines(contact=1, simple=1, general=5, complex=15, remind_before_hours=4),
    # A rating naming only a region is answered by the nearest administration office (政务服务中心).
    administration_offices={
        "520000000000": "D52000001",
        "520100000000": "D52010001",
        "520102000000": "D52010201",
        "520103000000": "D52010301",
    },
    sms=SmsTexts(
        invitation="【贵州政务服务】您在{department}办理的{item}已办结（办件编号{case_no}）。请回复数字评价："
        "5非常满意 4满意 3基本满意 2不满意 1非常不满意。{valid_days}天内有效，回复TD退订。",
        help="【贵州政务服务】请回复一个数字1至5进行评价：5非常满意 4满意 3基本满意 2不满意 1非常不满意。",
        thanks="【贵州政务服务】感谢您对{item}（办件编号{case_no}）的评价！",
        opted_out="【贵州政务服务】您已退订评价短信。",
        expired="【贵州政务服务】该评价邀请已过期，如需评价请登录贵州政务服务网。",
        ticket_notice="【贵州政务服务】您单位有一条新的差评工单（{ticket_id}），请于{due}前联系评价人。",
        reply_notice="【贵州政务服务】您对{department}的差评已处理并答复，整改情况可登录贵州政务服务网查看。",
        invitation_valid_days=7,
        no_invitation="【贵州政务服务】您好，您目前没有待评价的办件。感谢您关注贵州政务服务。",
        already_rated="【贵州政务服务】该办件已评价，感谢您的参与。",
        more_pending="您还有{count}件办件待评价，请再回复数字评价{item}（办件编号{case_no}）。",
        escalation_notice="【贵州政务服务】差评工单{ticket_id}（{department}）已超期，请督办。",
        reminder_notice="【贵州政务服务】差评工单{ticket_id}将于{due}到期，请及时处理。",
        reason_request="【贵州政务服务】很抱歉没能让您满意。请回复文字告诉我们不满意的原因，收到后即记录您的评价。",
        quiet_start="21:00",
        quiet_end="08:00",
        # Demo duty numbers (fictitious, in the 199 0000 range) of the offices that hear of tickets.
        contacts={
            "region#520000000000": "19900005200",
            "region#520100000000": "19900005201",
            "department#D52010001": "19900010001",
            "department#D52010002": "19900010002",
        },
    ),
)

# The demo province deploys in a global region (Hong Kong is the nearest; a production deployment of
# government data belongs in a China region: see ningxia.py). The account is a placeholder: replace it.
# The demo of the global partition. Singapore (ap-southeast-1): the region nearest to Guizhou whose SNS
# sends SMS and takes two-way replies, so invitations, notices and replies work with the stack alone.
# (Hong Kong, ap-east-1, is nearer but has no SNS SMS: there the province would state sms_transport
# "http" and its gateway.) A province whose data must stay in China deploys like ningxia.py instead.
GUIZHOU_DEPLOY = DeployConfig(
    account="111111111111",
    region="ap-southeast-1",
    partition="aws",
    alarm_emails=("ops@example.gov.cn",),
    identity=IdentityProvider(
        jwks_url="https://id.example.gov.cn/guizhou/.well-known/jwks.json",
        issuer="https://id.example.gov.cn/guizhou",
        audience="haochaping",
        authorization_endpoint="https://id.example.gov.cn/guizhou/authorize",
        token_endpoint="https://id.example.gov.cn/guizhou/token",
    ),
    channel_plans=(
        ChannelPlan("hall_pad", rate_per_second=200, burst=400, quota_per_day=2_000_000),
        ChannelPlan("hall_terminal", rate_per_second=50, burst=100, quota_per_day=500_000),
        ChannelPlan("pc", rate_per_second=100, burst=200, quota_per_day=1_000_000),
        ChannelPlan("mobile", rate_per_second=100, burst=200, quota_per_day=1_000_000),
        ChannelPlan("qrcode", rate_per_second=50, burst=100, quota_per_day=500_000),
        ChannelPlan("phone", rate_per_second=20, burst=40, quota_per_day=200_000),
        ChannelPlan("sms", rate_per_second=50, burst=100, quota_per_day=500_000),
        # The department console: person-facing, and a channel for the routes channels or people read.
        ChannelPlan("console", rate_per_second=50, burst=100, quota_per_day=500_000),
    ),
    sms_transport="sns",
    # The national platform takes the GB/T 39046 record; the provincial hub (a placeholder URL) the
    # interfaces' two-phase shape, signed and encrypted with SM3/SM4.
    export_targets=(
        national_gbt39046(
            "national",
            "https://national.example.gov.cn/hcp/v1/records",
            GUIZHOU_DATA_SOURCE,
            statistics_endpoint="https://national.example.gov.cn/hcp/v1/statistics",
            app_mark="guizhou-hcp",
            batch_size=100,
            max_records_per_run=3000,  # 50 records/s over the minute between runs
        ),
        provincial_interface(
            "hub",
            "https://hub.example.gov.cn/exchange/report",
            GUIZHOU_DATA_SOURCE,
            signing="sm3-sm4",
            app_mark="guizhou-hcp",
            max_records_per_run=600,
        ),
    ),
)
