"""The city's recommending units: reference data every floor reads (registration, roles, reports)."""

from __future__ import annotations

# GB/T 2260 codes of Nanning's districts, counties and county-level city.
NANNING_DISTRICTS = {
    "450102": "兴宁区",
    "450103": "青秀区",
    "450105": "江南区",
    "450107": "西乡塘区",
    "450108": "良庆区",
    "450109": "邕宁区",
    "450110": "武鸣区",
    "450123": "隆安县",
    "450124": "马山县",
    "450125": "上林县",
    "450126": "宾阳县",
    "450181": "横州市",
}
# Development zones recommend applications as units of their own.
NANNING_ZONES = {"GXQ": "南宁高新技术产业开发区", "JKQ": "南宁经济技术开发区", "DMJKQ": "广西—东盟经济技术开发区"}
RECOMMENDING_UNITS = {**NANNING_DISTRICTS, **NANNING_ZONES}
