"""宁夏回族自治区, deployed where its data stays in China: the Ningxia region (cn-northwest-1, partition
aws-cn). Tags follow the national 好差评 template; deadlines the default norm. Its Hui holidays
(开斋节, 古尔邦节) are announced yearly and go into `local_holidays` when the notice is out."""

from functions.core.domain.province import ProvinceConfig, SmsTexts, TagSets
from functions.export.targets import national_gbt39046
from infra.provinces.deploy import ApiDomain, ChannelPlan, DeployConfig, IdentityProvider

NINGXIA = ProvinceConfig(
    code="640000000000",
    name="宁夏回族自治区",
    tags=TagSets(
        good=("服务态度好", "办事效率高", "一次办好", "材料简便", "指引清楚", "网上办理便捷"),
        bad=("服务态度差", "超时办理", "多次跑腿", "材料繁琐", "指引不清", "系统不好用"),
    ),
    sms=SmsTexts(
        invitation="【宁夏政务服务】您办理的{item}已办结（办件编号{case_no}）。请回复数字评价："
        "5非常满意 4满意 3基本满意 2不满意 1非常不满意。{valid_days}天内有效，回复TD退订。",
        help="【宁夏政务服务】请回复一个数字1至5进行评价：5非常满意 4满意 3基本满意 2不满意 1非常不满意。",
        thanks="【宁夏政务服务】感谢您对{item}（办件编号{case_no}）的评价！",
        opted_out="【宁夏政务服务】您已退订评价短信。",
        expired="【宁夏政务服务】该评价邀请已过期，如需评价请登录宁夏政务服务网。",
        ticket_notice="【宁夏政务服务】您单位有一条新的差评工单（{ticket_id}），请于{due}前联系评价人。",
        reply_notice="【宁夏政务服务】您的差评已处理，整改情况：{report}",
    ),
)

# The account is a placeholder: replace it with the province's China account.
NINGXIA_DEPLOY = DeployConfig(
    account="222222222222",
    region="cn-northwest-1",
    partition="aws-cn",
    alarm_emails=("ops@example.gov.cn",),
    identity=IdentityProvider(
        jwks_url="https://id.example.gov.cn/ningxia/.well-known/jwks.json",
        issuer="https://id.example.gov.cn/ningxia",
        audience="haochaping",
        authorization_endpoint="https://id.example.gov.cn/ningxia/authorize",
        token_endpoint="https://id.example.gov.cn/ningxia/token",
    ),
    channel_plans=(
        ChannelPlan("hall_pad", rate_per_second=100, burst=200, quota_per_day=1_000_000),
        ChannelPlan("hall_terminal", rate_per_second=20, burst=40, quota_per_day=200_000),
        ChannelPlan("pc", rate_per_second=50, burst=100, quota_per_day=500_000),
        ChannelPlan("mobile", rate_per_second=50, burst=100, quota_per_day=500_000),
        ChannelPlan("sms", rate_per_second=20, burst=40, quota_per_day=200_000),
        ChannelPlan("console", rate_per_second=20, burst=40, quota_per_day=200_000),
    ),
    # The China partition has no SNS SMS: texts go through the province's domestic SMS gateway.
    sms_transport="http",
    # The filed domain and its certificate (placeholders: the province's own, once filed and issued).
    domain=ApiDomain(
        name="pj.zwfw.example.gov.cn",
        certificate_id="00000000-0000-0000-0000-000000000000",
        icp_filing="宁ICP备00000000号",
    ),
    sms_provider_url="https://sms.example.gov.cn/ningxia/send",
    api_rate_per_second=200,
    api_burst=400,
    # Ningxia's data-source code is a placeholder until the national platform assigns it.
    export_targets=(
        national_gbt39046(
            "national", "https://national.example.gov.cn/hcp/v1/records", "164", app_mark="ningxia-hcp"
        ),
    ),
)
