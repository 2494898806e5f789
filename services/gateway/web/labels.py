"""Chinese labels of the codes the pages show."""

from __future__ import annotations

LABELS: dict[str, str] = {
    "iou": "借条",
    "receipt": "收据",
    "contract": "合同",
    "lender": "出借人",
    "borrower": "借款人",
    "payer": "付款方",
    "payee": "收款方",
    "party_a": "甲方",
    "party_b": "乙方",
    "bullet": "到期一次性还本付息",
    "monthly_interest": "按月付息、到期还本",
    "equal_instalment": "等额本息",
    "equal_principal": "等额本金",
    "bank_transfer": "银行转账",
    "wechat_pay": "微信支付",
    "alipay": "支付宝",
    "cash": "现金",
    "other": "其他",
    "wrong_terms": "条款有误",
    "wrong_party": "签署人有误",
    "settled": "已结清",
    "agreement_ended": "协议终止",
}
