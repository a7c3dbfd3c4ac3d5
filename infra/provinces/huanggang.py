"""湖北省 with 黄冈市's ticket policy: the second example province, showing that deadlines are
province policy (DOMAIN.md): contact within 3 working days, rectify in 5, complex cases in 15, and
business hours (a period ends at the office's closing time). Tags and texts are illustrative.

Rules on ratings: the other setting of each rule than the demo province's (guizhou.py), so that both
sides of every rule ship and are tested; illustrative, not taken from a Huanggang document:
- reason: not required (the national rules ask for none): a bad level alone is a rating, and its
  ticket's first contact learns the reason.
- rating period: 30 days after completion.
- default rating: made when the 30 days pass, but not counted as good: it shows in `defaults` only,
  in no level, index or rate (a silent applicant is not a satisfied one).
- follow-up (追评): within 7 days, shown beside the first rating (both count).
- sub-scores: on site only (服务效率, 服务水平, 服务态度); online ratings carry the overall level alone."""

from functions.core.domain.province import (
    Deadlines,
    ProvinceConfig,
    RatingRules,
    SmsTexts,
    SubScoreDimensions,
    TagSets,
)

HUANGGANG = ProvinceConfig(
    code="420000000000",
    name="湖北省",
    tags=TagSets(
        good=("服务态度好", "服务效率高", "一次办结", "办事指南清晰"),
        bad=("服务态度生硬", "超过法定办理时间", "多头跑", "材料要求繁琐"),
    ),
    deadlines=Deadlines(contact=3, simple=3, general=5, complex=15, remind_before_hours=8),
    closing_time="17:30",
    allow_follow_up=True,
    ratings=RatingRules(
        reason_required=False,
        rating_period_days=30,
        follow_up_days=7,
        follow_up_replaces=False,
        default_rating=True,
        default_counts_good=False,
        sub_scores=SubScoreDimensions(on_site=("efficiency", "service", "attitude")),
    ),
    administration_offices={"420000000000": "D42000001", "421100000000": "D42110001"},
    sms=SmsTexts(
        invitation="【湖北政务服务】您办理的{item}已办结（办件编号{case_no}）。请回复数字评价："
        "5非常满意 4满意 3基本满意 2不满意 1非常不满意。{valid_days}天内有效，回复TD退订。",
        help="【湖北政务服务】请回复一个数字1至5进行评价。",
        thanks="【湖北政务服务】感谢您对{item}（办件编号{case_no}）的评价！",
        opted_out="【湖北政务服务】您已退订评价短信。",
        expired="【湖北政务服务】该评价邀请已过期。",
        ticket_notice="【湖北政务服务】您单位有一条新的差评工单（{ticket_id}），请于{due}前联系评价人。",
        reply_notice="【湖北政务服务】您的差评已处理，整改情况：{report}",
    ),
)
