"""The template texts and the disclaimer, each with a version the note records.

A text never changes under a version: a wording change is a new version, so a note's document
always says exactly what its parties were shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.catalogue.drafting import Template


@dataclass(frozen=True)
class TemplateText:
    template: Template
    version: str
    title: str
    text: str


@dataclass(frozen=True)
class Disclaimer:
    version: str
    text: str


DISCLAIMER = Disclaimer(
    version="2026-01",
    text=(
        "本平台仅提供借条、收据和合同的模板与电子签署服务，不是任何借贷或交易的当事人，"
        "不对借贷关系的真实性、合法性和履行作任何保证。"
    ),
)

TEMPLATES: dict[Template, TemplateText] = {
    Template.IOU: TemplateText(
        Template.IOU,
        "iou-1",
        "借条",
        "今{borrower}向{lender}借到人民币{principal_capitals}（¥{principal}），用于{purpose}，"
        "借款期限自{start_date}起至{due_date}止，年利率{annual_rate_percent}%，"
        "还款方式：{repayment_method}，出借方式：{delivery_method}。"
        "出借人不得预先在本金中扣除利息。",
    ),
    Template.RECEIPT: TemplateText(
        Template.RECEIPT,
        "receipt-1",
        "收据",
        "今收到{payer}交来{received}，事由：{reason}，收到日期：{received_on}。",
    ),
    Template.CONTRACT: TemplateText(
        Template.CONTRACT,
        "contract-1",
        "合同",
        "甲乙双方经平等协商，就「{title}」订立本合同，条款如下：{terms_text}",
    ),
}
