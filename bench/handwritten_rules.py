"""Hand-written baseline: the Nanning 2022 guide's gates as plain Python.

`verdicts(row)` answers what the rule engine answers for a row in which every fact is
present: a direction is "not_eligible" when any of its gates (eligibility, commitment,
naming and limit rules) is false, otherwise "eligible". Priority, award, document and
officer rules never gate and are left out. Each function below was written by hand from
the CEL expressions in yongke/guide/data/nanning-2022/; a project's gates apply to
every one of its directions, then each direction adds its own.

Row conventions are those of `CompiledGuide.check()` after coercion: bool facts are
bools, int/money facts ints, number facts floats, enum facts their value strings and
date facts ISO "YYYY-MM-DD" strings (so they compare as text, as in CEL).

`python bench/handwritten_rules.py [N] [GUIDE]` checks the function against the engine on N
random complete rows (default 5,000), with the bundled guide or the guide file GUIDE.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Row = dict

# CEL's `matches` is RE2 semantics: `$` is the end of the text only. Python's `$` would also
# match before a trailing newline, so the end anchor is written `\Z`.
_PRIZE_TITLE = re.compile(r"^.+（第.+届南宁市创新创业大赛获奖企业后补助）\Z")
_ROADSHOW_NAME = re.compile(
    r"^‘邕城创客行’20[0-9]{2}年南宁市科技创新创业路演活动第[0-9一二三四五六七八九十百零〇]+期（[^（）]+行业专场）\Z"
)


# --- Projects 1-7: key industries (IP commitment + new revenue) ---------------------------


def _ip_3_or_6(r: Row, grants: str = "kpi_ip_grants", *, platform: bool = True) -> bool:
    """3 invention patents, or 6 IP grants, or (leading enterprise building a regional platform)."""
    if r["kpi_invention_patent_applications"] >= 3 or r[grants] >= 6:
        return True
    return platform and r["leading_enterprise"] and r["kpi_region_platform"]


def _project_1(r: Row) -> bool:  # 新能源汽车及零部件
    return _ip_3_or_6(r) and r["kpi_new_revenue"] >= 50_000_000


def _project_2(r: Row) -> bool:  # 电子信息产业
    return _ip_3_or_6(r) and r["kpi_new_revenue"] >= 50_000_000


def _project_3(r: Row) -> bool:  # 铝精深加工
    return _ip_3_or_6(r) and r["kpi_new_revenue"] >= 50_000_000


def _project_4(r: Row) -> bool:  # 新材料产业
    return _ip_3_or_6(r, "kpi_utility_model_ip_grants") and r["kpi_new_revenue"] >= 50_000_000


def _project_5(r: Row) -> bool:  # 林产品加工
    return _ip_3_or_6(r) and r["kpi_new_revenue"] >= 50_000_000


def _project_6(r: Row) -> bool:  # 食品加工产业
    return _ip_3_or_6(r) and r["kpi_new_revenue"] >= 50_000_000


def _project_7(r: Row) -> bool:  # 装备制造产业 (no leading-enterprise alternative)
    return _ip_3_or_6(r, "kpi_utility_model_ip_grants", platform=False) and r["kpi_new_revenue"] >= 50_000_000


# --- Project 8: 生物医药产业 -----------------------------------------------------------


def _direction_8_1(r: Row) -> bool:  # 中药民族药
    kind = r["tcm_development_type"]
    if kind == "new_drug" and not (r["kpi_clinical_research_approval"] or r["kpi_ind_implied_license"]):
        return False
    if kind == "product_development" and not (r["kpi_clinical_research_approval"] or r["kpi_production_approval"]):
        return False
    return r["kpi_tcm_technical_specification"] and r["kpi_preclinical_evaluation"] and r["kpi_invention_patents_applied_or_granted"] >= 1


def _direction_8_2(r: Row) -> bool:  # 化学药与生物技术药: the promised outcome route must be backed
    route = r["drug_outcome_route"]
    if route == "ind":
        ok = r["kpi_clinical_research_approval"] or r["kpi_ind_implied_license"]
    elif route == "clinical_phase":
        ok = r["kpi_phase2_trial_completed"] or r["kpi_phase3_trial_completed"]
    elif route == "new_drug_certificate":
        ok = r["kpi_new_drug_certificate"] or r["kpi_production_approval"]
    elif route == "process_research":
        ok = r["kpi_formulation_process_research"] and r["kpi_pilot_scale_production"] and r["kpi_quality_research"]
    else:  # generic_consistency
        ok = r["kpi_generic_consistency_study"] and (r["kpi_consistency_evaluation_approval"] or r["kpi_production_approval"])
    return ok and r["kpi_invention_patents_applied_or_granted"] >= 1


def _direction_8_3(r: Row) -> bool:  # 医疗器械及生物医学材料
    if r["device_class"] not in ("class_2", "class_3"):
        return False
    clinical_progress = (
        (r["kpi_device_rd_completed"] and r["kpi_device_inspection_completed"] and r["kpi_device_clinical_trial_started"])
        or (
            r["kpi_device_clinical_trial_completed"] and r["kpi_device_registration_submitted"] and r["kpi_device_registration_certificate"]
        )
        or r["kpi_new_device_market_license"]
    )
    if not clinical_progress:
        return False
    product = r["medical_product_type"]
    if product == "medical_material" and r["kpi_material_access_permits"] < 1:
        return False
    if product == "diagnostic_kit" and r["kpi_kit_market_permits"] < 1:
        return False
    return r["kpi_invention_patents_applied_or_granted"] >= 1


# --- Projects 9-12 -------------------------------------------------------------------


def _project_9(r: Row) -> bool:  # 节能环保产业
    return (
        r["kpi_invention_patent_applications"] >= 2
        and (r["kpi_technical_specifications"] >= 1 or r["kpi_industry_standards"] >= 1)
        and r["kpi_innovative_products"] >= 1
        and r["kpi_demo_sites"] >= 1
        and r["kpi_new_revenue"] >= 15_000_000
    )


def _project_10(r: Row) -> bool:  # 现代特色农业产业
    kinds_done = sum(
        (
            r["kpi_agri_new_varieties"] >= 1,
            r["kpi_agri_new_technologies"] >= 1,
            r["kpi_agri_new_products"] >= 1,
            r["kpi_agri_standards_issued"] >= 1,
            r["kpi_invention_patent_applications"] >= 1,
        )
    )
    if kinds_done < 3:
        return False
    if r["kpi_agri_new_varieties"] != 0 and not (r["has_variety_certificate"] or r["has_pilot_report"]):
        return False
    if r["kpi_annual_output_value"] < 40_000_000 or r["kpi_annual_output_growth_pct"] < 10.0:
        return False
    base = r["agri_base_type"]
    if base == "planting":
        if not 1000 <= r["kpi_base_core_area_mu"] <= 3000:
            return False
    elif base == "breeding":
        by_area = r["kpi_base_core_area_mu"] >= 200 and r["kpi_base_demo_area_mu"] >= 500
        by_head = (r["kpi_base_core_livestock_head"] >= 20_000 or r["kpi_base_core_poultry"] >= 200_000) and (
            r["kpi_base_radiation_livestock_head"] >= 50_000 or r["kpi_base_radiation_poultry"] >= 500_000
        )
        if not (by_area or by_head):
            return False
    elif base == "processing" and r["kpi_processing_annual_output"] < 5_000_000:
        return False
    return r["kpi_agri_achievements_transformed"] >= 3


def _project_11(r: Row) -> bool:  # 广西南宁国家农业科技园区能力建设
    return r["in_nanning_agri_park"] and r["joint_with_research_partner"]


def _direction_11_1(r: Row) -> bool:
    return _project_11(r) and r["requested_amount"] <= 2_000_000


def _project_12(r: Row) -> bool:  # 新型产业技术研究机构建设
    return r["registered_in_nanning"] and r["independent_legal_person"]


def _direction_12_1(r: Row) -> bool:
    return _project_12(r) and r["city_approved_rd_institution"]


def _no_gates(r: Row) -> bool:  # 13.1 揭榜挂帅: the guide defers everything to a later notice
    return True


# --- Projects 14-16: technology innovation guidance ----------------------------------


def _ip_1_or_2(r: Row) -> bool:
    return r["kpi_invention_patent_applications"] >= 1 or r["kpi_ip_grants"] >= 2


def _project_14(r: Row) -> bool:  # 高性能新材料关键技术研究
    return _ip_1_or_2(r) and r["kpi_new_revenue"] >= 10_000_000


def _project_15(r: Row) -> bool:  # 新一代信息技术研发与应用
    return _ip_1_or_2(r) and r["kpi_new_revenue"] >= 5_000_000


def _project_16(r: Row) -> bool:  # 汽车产业新技术新产品研究与应用
    return _ip_1_or_2(r) and r["kpi_new_revenue"] >= 10_000_000


# --- Project 17: 科技支撑乡村振兴 -------------------------------------------------------


def _seed_industry(r: Row) -> bool:
    """The requirements 17.1 and 17.2 share: applicant, variety certificates, base areas."""
    if not r["enterprise_or_institution"]:
        return False
    topic = r["variety_topic_type"]
    if topic == "breeding_trial" and not (r["has_achievement_certificate"] or r["has_variety_certificate"] or r["has_pilot_report"]):
        return False
    if topic == "propagation_promotion" and not r["has_variety_certificate"]:
        return False
    crop = r["breeding_base_area_mu"] >= 100.0 and r["kpi_demo_planting_area_mu"] >= 1000.0
    livestock = r["livestock_breeding_core_area_mu"] >= 100.0 and r["kpi_livestock_demo_area_mu"] >= 300.0
    sector = r["agri_sector"]
    if sector == "crop":
        return crop
    if sector == "livestock":
        return livestock
    return crop or livestock  # another sector: the base areas of one of the two


def _direction_17_1(r: Row) -> bool:  # 现代种业提升工程
    return _seed_industry(r) and (not r["nhp_breeding_enterprise"] or r["nhp_stock_count"] >= 500)


def _direction_17_2(r: Row) -> bool:  # 农林业高效生产关键技术攻关
    return _seed_industry(r)


def _direction_17_3(r: Row) -> bool:  # 现代农业装备研发
    return (
        r["has_relevant_research_achievements"]
        and (r["kpi_agri_new_products"] >= 1) + (r["kpi_agri_new_technologies"] >= 1) + (r["kpi_agri_standards_issued"] >= 1) >= 2
        and r["kpi_invention_patent_applications"] >= 2
    )


def _direction_17_4(r: Row) -> bool:  # 预制菜
    return (
        r["kpi_key_technology_breakthroughs"] >= 1
        and r["kpi_invention_patents_applied_or_granted"] >= 1
        and r["kpi_proprietary_ip"]
        and r["kpi_industrial_application"]
        and r["kpi_new_revenue"] >= 10_000_000
    )


def _direction_17_5(r: Row) -> bool:  # 脱贫攻坚与乡村振兴有效衔接
    return (
        r["kpi_agri_new_varieties"] >= 1
        and r["kpi_agri_new_technologies"] >= 1
        and r["kpi_agri_new_products"] >= 1
        and r["agri_enterprise_or_cooperative"]
        and r["industry_academia_joint"]
        and r["kpi_demo_zone_contiguous_area_mu"] >= 200.0
        and (r["agri_sector"] != "livestock" or r["kpi_livestock_scale_standard_met"])
        and r["kpi_planting_expansion_area_mu"] >= 400.0
        and r["kpi_farm_households_driven"] >= 20
        and r["self_raised_amount"] >= 2 * r["requested_amount"]
    )


# --- Projects 18-22 ------------------------------------------------------------------


def _project_18(r: Row) -> bool:  # 生态环境保护及污染治理技术研究
    return (
        r["kpi_technologies_formed"] >= 1
        and r["kpi_equipment_formed"] >= 1
        and r["kpi_demo_sites"] >= 1
        and r["kpi_invention_patents_applied_or_granted"] >= 1
        and r["kpi_new_revenue"] >= 10_000_000
    )


def _direction_19_1(r: Row) -> bool:  # 重点病种诊疗技术
    return (
        r["kpi_standard_treatment_protocols"] >= 1
        and r["kpi_diagnosis_treatment_methods"] >= 1
        and (r["kpi_software_app_systems"] >= 1 or r["kpi_disease_cohort_database"])
        and r["kpi_medical_backbone_team"]
        and r["kpi_masters_students_trained"] >= 2
    )


def _direction_19_2(r: Row) -> bool:  # 中药壮瑶药
    return (
        r["kpi_tcm_zhuang_yao_techniques"] >= 1
        and r["kpi_hospital_preparation_approval"]
        and r["kpi_decoction_granule_standard_filing"]
        and r["kpi_health_food_approval"]
        and r["kpi_invention_patents_applied_or_granted"] >= 1
        and r["kpi_demo_sites"] >= 1
        and r["kpi_new_revenue"] >= 5_000_000
    )


def _direction_19_3(r: Row) -> bool:  # 实验动物资源利用
    return (
        r["kpi_lab_animal_new_techniques"] >= 1
        and r["kpi_lab_animal_new_strains_or_products"] >= 1
        and r["kpi_invention_patents_applied_or_granted"] >= 1
        and r["kpi_lab_animal_team_size"] >= 5
        and r["lab_animal_licence"]
    )


def _direction_19_4(r: Row) -> bool:  # 生物技术创新研究
    return _ip_1_or_2(r) and r["kpi_new_revenue"] >= 10_000_000


def _direction_20_1(r: Row) -> bool:  # 公共安全、防灾减灾
    return (
        r["kpi_application_demos"] >= 1
        and r["kpi_beats_domestic_peers"]
        and r["kpi_meets_industry_standard"]
        and r["kpi_ip_applied_or_granted"] >= 1
        and r["kpi_new_revenue"] >= 5_000_000
    )


def _direction_20_2(r: Row) -> bool:  # 重点领域融合创新
    return (
        (r["kpi_key_practical_technologies"] >= 1 or r["kpi_new_tech_material_process_equipment"] >= 1)
        and r["kpi_tech_transfer_or_conversions"] >= 1
        and r["not_classified"]
    )


def _direction_20_3(r: Row) -> bool:  # 食品药品安全
    return (
        r["kpi_rapid_test_standards"] >= 1
        and r["kpi_invention_patents_applied_or_granted"] >= 1
        and r["kpi_software_app_systems"] >= 1
        and r["kpi_demo_sites"] >= 1
        and r["kpi_new_revenue"] >= 5_000_000
    )


def _direction_20_4(r: Row) -> bool:  # 文化、旅游
    return (
        r["kpi_tech_fusion_products_or_platforms"] >= 1
        and r["kpi_key_technologies"] >= 1
        and (r["kpi_invention_patents_applied_or_granted"] >= 1 or r["kpi_software_copyrights_applied_or_granted"] >= 1)
        and r["kpi_new_revenue"] >= 5_000_000
    )


def _project_21(r: Row) -> bool:  # 科技开放合作
    outputs = (r["kpi_achievement_conversions"] >= 1 and r["kpi_tech_patents_introduced_or_exported"] >= 1) or r["kpi_demo_bases"] >= 1
    return r["has_relevant_research_achievements"] and outputs and r["kpi_new_revenue"] >= 5_000_000


def _project_22(r: Row) -> bool:  # 产学研合作
    return (
        r["has_relevant_research_achievements"]
        and r["kpi_achievement_conversions"] >= 1
        and r["kpi_invention_patent_applications"] >= 2
        and r["kpi_tech_specs_or_industry_standards"] >= 1
        and r["kpi_demo_sites"] >= 1
        and r["kpi_new_revenue"] >= 8_000_000
    )


# --- Projects 23-35: post-subsidies and awards ----------------------------------------


def _direction_23_1(r: Row) -> bool:  # 规模以上企业研发投入奖补
    return (
        r["above_scale"]
        and r["rd_in_statistics"]
        and not r["received_gazelle_award"]
        and not r["has_prefunded_project"]
        and not r["has_other_post_subsidy"]
    )


def _direction_23_2(r: Row) -> bool:  # 瞪羚企业、入库培育企业
    return r["gazelle_recognized"] or r["gazelle_cultivated"]


def _direction_24_1(r: Row) -> bool:  # 高新技术企业认定
    return r["hte_certified"]


def _direction_25_1(r: Row) -> bool:  # 创新创业大赛获奖
    return 1 <= r["prize"] <= 3 and r["prize_won_this_year"] and _PRIZE_TITLE.search(r["title"]) is not None


def _direction_26_1(r: Row) -> bool:  # 引才引智计点积分
    return r["registered_in_nanning"] and r["region_award_received"] and r["points"] >= 72


def _direction_27_1(r: Row) -> bool:  # 科技创新券
    return r["applicant_kind"] in ("sme", "team") and r["service_cost"] > 0


_PREMIUMS = (
    "premium_patent",
    "premium_rd_liability",
    "premium_key_rd_equipment",
    "premium_business_interruption",
    "premium_product_liability",
    "premium_product_quality",
    "premium_microloan_guarantee",
    "premium_employer_liability",
    "premium_environmental_liability",
    "premium_property",
    "premium_project_investment_loss",
)


def _direction_28_1(r: Row) -> bool:  # 科技保险保费补贴: some premium actually paid
    return any(r[p] > 0 for p in _PREMIUMS)


def _direction_29_1(r: Row) -> bool:  # 科技成果转化
    return r["achievement_acquired_with_own_funds"] and r["achievement_applied_with_benefit"] and r["transfer_project_recognized"]


def _direction_30_1(r: Row) -> bool:  # 新认定创新平台
    return (
        r["platform_level"] in ("national", "region_key_lab", "region_eng_center", "city_eng_center")
        and r["recognized_on"] >= "2022-01-01"
        and not r["duplicate_enterprise_tech_center"]
    )


def _direction_30_2(r: Row) -> bool:  # 新取得实验动物许可证
    return r["key_industry"] and r["lab_animal_licence_new"]


def _direction_31_1(r: Row) -> bool:  # 医学重点学科
    return (
        r["kpi_apply_region_medical_center"]
        and r["kpi_diagnosis_norms"] >= 1
        and r["kpi_ip_applied_or_granted"] >= 2
        and r["kpi_medical_backbone_team"]
        and 2 <= r["kpi_masters_students_trained"] <= 4
        and r["self_raised_amount"] >= 2 * r["requested_amount"]
    )


def _direction_32_1(r: Row) -> bool:  # 技术交易奖励
    return r["tech_transfer_agency_in_nanning"] and r["transaction_volume"] > 0


def _direction_32_2(r: Row) -> bool:  # 技术转移分支机构
    return r["tech_transfer_branch_in_nanning"] and r["branch_recognized"]


def _direction_33_1(r: Row) -> bool:  # 孵化平台认定
    carrier = r["carrier"]
    if carrier in ("incubator", "maker_space") and r["public_funded"]:
        return False
    return carrier != "maker_space" or r["maker_space_city_filed"]


def _direction_33_2(r: Row) -> bool:  # 孵化平台绩效考评
    return r["rating"] == "excellent"


def _direction_34_1(r: Row) -> bool:  # 星创天地
    return r["level"] in ("national", "region")


def _direction_35_1(r: Row) -> bool:  # 创新型县
    return r["innovative_county_recognized"] and r["county_work_system"] and r["county_research_award_received"]


# --- Projects 36-38 ------------------------------------------------------------------


def _project_36(r: Row) -> bool:  # 自治区级中试基地
    return r["pilot_base_operator"] and r["registered_in_nanning"] and r["independent_legal_person"] and r["region_pilot_base_recognised"]


def _project_37(r: Row) -> bool:  # 科普能力建设
    return (
        r["kpi_science_venue_area"] >= 100
        and r["kpi_youth_free_or_half_price"]
        and r["kpi_science_events"] >= 2
        and r["kpi_science_event_attendance"] >= 1000
        and r["kpi_special_science_events"] >= 1
        and r["kpi_special_event_attendance"] >= 400
        and r["self_raised_amount"] >= r["requested_amount"]
    )


def _project_38(r: Row) -> bool:  # “邕城创客行”路演
    return (
        r["investment_institution_co_applicant"]
        and (r["kpi_investment_cooperation"] or r["kpi_project_landing"])
        and r["kpi_host_and_organiser_as_required"]
        and r["roadshow_plan_lead_days"] >= 15
        and _ROADSHOW_NAME.search(r["roadshow_activity_name"]) is not None
        and r["self_raised_amount"] >= r["requested_amount"]
    )


def _direction_38_1(r: Row) -> bool:
    return (
        _project_38(r)
        and r["city_level_or_above_platform"]
        and r["kpi_roadshows_per_year"] >= 3
        and r["kpi_investor_guests_per_roadshow"] >= 5
        and r["kpi_invite_chain_talent_media"]
    )


# Directions without gates of their own reuse their project's check.
DIRECTIONS: dict[str, Callable[[Row], bool]] = {
    "1.1": _project_1,
    "1.2": _project_1,
    "2.1": _project_2,
    "2.2": _project_2,
    "2.3": _project_2,
    "2.4": _project_2,
    "3.1": _project_3,
    "4.1": _project_4,
    "4.2": _project_4,
    "4.3": _project_4,
    "5.1": _project_5,
    "6.1": _project_6,
    "7.1": _project_7,
    "8.1": _direction_8_1,
    "8.2": _direction_8_2,
    "8.3": _direction_8_3,
    "9.1": _project_9,
    "10.1": _project_10,
    "11.1": _direction_11_1,
    "12.1": _direction_12_1,
    "13.1": _no_gates,
    "14.1": _project_14,
    "15.1": _project_15,
    "15.2": _project_15,
    "16.1": _project_16,
    "16.2": _project_16,
    "17.1": _direction_17_1,
    "17.2": _direction_17_2,
    "17.3": _direction_17_3,
    "17.4": _direction_17_4,
    "17.5": _direction_17_5,
    "18.1": _project_18,
    "18.2": _project_18,
    "18.3": _project_18,
    "18.4": _project_18,
    "19.1": _direction_19_1,
    "19.2": _direction_19_2,
    "19.3": _direction_19_3,
    "19.4": _direction_19_4,
    "20.1": _direction_20_1,
    "20.2": _direction_20_2,
    "20.3": _direction_20_3,
    "20.4": _direction_20_4,
    "21.1": _project_21,
    "22.1": _project_22,
    "23.1": _direction_23_1,
    "23.2": _direction_23_2,
    "24.1": _direction_24_1,
    "25.1": _direction_25_1,
    "26.1": _direction_26_1,
    "27.1": _direction_27_1,
    "28.1": _direction_28_1,
    "29.1": _direction_29_1,
    "30.1": _direction_30_1,
    "30.2": _direction_30_2,
    "31.1": _direction_31_1,
    "32.1": _direction_32_1,
    "32.2": _direction_32_2,
    "33.1": _direction_33_1,
    "33.2": _direction_33_2,
    "34.1": _direction_34_1,
    "35.1": _direction_35_1,
    "36.1": _project_36,
    "37.1": _project_37,
    "38.1": _direction_38_1,
}


def verdicts(row: dict) -> dict[str, str]:
    """{direction_id: "eligible" | "not_eligible"} for all 65 directions; every fact must be present."""
    return {d: "eligible" if check(row) else "not_eligible" for d, check in DIRECTIONS.items()}


FACTS_USED: frozenset[str] = frozenset(
    {
        # organisation and application
        "registered_in_nanning",
        "independent_legal_person",
        "leading_enterprise",
        "requested_amount",
        "self_raised_amount",
        "title",
        # projects 1-7, 9, 14-16, 19.4, 22
        "kpi_invention_patent_applications",
        "kpi_ip_grants",
        "kpi_utility_model_ip_grants",
        "kpi_region_platform",
        "kpi_new_revenue",
        "kpi_technical_specifications",
        "kpi_industry_standards",
        "kpi_innovative_products",
        "kpi_demo_sites",
        # project 8
        "kpi_invention_patents_applied_or_granted",
        "tcm_development_type",
        "kpi_clinical_research_approval",
        "kpi_ind_implied_license",
        "kpi_production_approval",
        "kpi_tcm_technical_specification",
        "kpi_preclinical_evaluation",
        "drug_outcome_route",
        "kpi_phase2_trial_completed",
        "kpi_phase3_trial_completed",
        "kpi_new_drug_certificate",
        "kpi_formulation_process_research",
        "kpi_pilot_scale_production",
        "kpi_quality_research",
        "kpi_generic_consistency_study",
        "kpi_consistency_evaluation_approval",
        "device_class",
        "medical_product_type",
        "kpi_device_rd_completed",
        "kpi_device_inspection_completed",
        "kpi_device_clinical_trial_started",
        "kpi_device_clinical_trial_completed",
        "kpi_device_registration_submitted",
        "kpi_device_registration_certificate",
        "kpi_new_device_market_license",
        "kpi_material_access_permits",
        "kpi_kit_market_permits",
        # project 10
        "kpi_agri_new_varieties",
        "kpi_agri_new_technologies",
        "kpi_agri_new_products",
        "kpi_agri_standards_issued",
        "kpi_annual_output_value",
        "kpi_annual_output_growth_pct",
        "agri_base_type",
        "kpi_base_core_area_mu",
        "kpi_base_demo_area_mu",
        "kpi_base_core_livestock_head",
        "kpi_base_core_poultry",
        "kpi_base_radiation_livestock_head",
        "kpi_base_radiation_poultry",
        "kpi_processing_annual_output",
        "kpi_agri_achievements_transformed",
        # projects 11, 12
        "in_nanning_agri_park",
        "joint_with_research_partner",
        "city_approved_rd_institution",
        # project 17
        "enterprise_or_institution",
        "variety_topic_type",
        "has_achievement_certificate",
        "has_variety_certificate",
        "has_pilot_report",
        "agri_sector",
        "breeding_base_area_mu",
        "kpi_demo_planting_area_mu",
        "livestock_breeding_core_area_mu",
        "kpi_livestock_demo_area_mu",
        "nhp_breeding_enterprise",
        "nhp_stock_count",
        "has_relevant_research_achievements",
        "kpi_key_technology_breakthroughs",
        "kpi_proprietary_ip",
        "kpi_industrial_application",
        "agri_enterprise_or_cooperative",
        "industry_academia_joint",
        "kpi_demo_zone_contiguous_area_mu",
        "kpi_livestock_scale_standard_met",
        "kpi_planting_expansion_area_mu",
        "kpi_farm_households_driven",
        # project 18
        "kpi_technologies_formed",
        "kpi_equipment_formed",
        # project 19
        "kpi_standard_treatment_protocols",
        "kpi_diagnosis_treatment_methods",
        "kpi_software_app_systems",
        "kpi_disease_cohort_database",
        "kpi_medical_backbone_team",
        "kpi_masters_students_trained",
        "kpi_tcm_zhuang_yao_techniques",
        "kpi_hospital_preparation_approval",
        "kpi_decoction_granule_standard_filing",
        "kpi_health_food_approval",
        "kpi_lab_animal_new_techniques",
        "kpi_lab_animal_new_strains_or_products",
        "kpi_lab_animal_team_size",
        "lab_animal_licence",
        # project 20
        "kpi_application_demos",
        "kpi_beats_domestic_peers",
        "kpi_meets_industry_standard",
        "kpi_ip_applied_or_granted",
        "kpi_key_practical_technologies",
        "kpi_new_tech_material_process_equipment",
        "kpi_tech_transfer_or_conversions",
        "not_classified",
        "kpi_rapid_test_standards",
        "kpi_tech_fusion_products_or_platforms",
        "kpi_key_technologies",
        "kpi_software_copyrights_applied_or_granted",
        # projects 21, 22
        "kpi_achievement_conversions",
        "kpi_tech_patents_introduced_or_exported",
        "kpi_demo_bases",
        "kpi_tech_specs_or_industry_standards",
        # projects 23-35
        "above_scale",
        "rd_in_statistics",
        "received_gazelle_award",
        "has_prefunded_project",
        "has_other_post_subsidy",
        "gazelle_recognized",
        "gazelle_cultivated",
        "hte_certified",
        "prize",
        "prize_won_this_year",
        "region_award_received",
        "points",
        "applicant_kind",
        "service_cost",
        *_PREMIUMS,
        "achievement_acquired_with_own_funds",
        "achievement_applied_with_benefit",
        "transfer_project_recognized",
        "platform_level",
        "recognized_on",
        "duplicate_enterprise_tech_center",
        "key_industry",
        "lab_animal_licence_new",
        "kpi_apply_region_medical_center",
        "kpi_diagnosis_norms",
        "tech_transfer_agency_in_nanning",
        "transaction_volume",
        "tech_transfer_branch_in_nanning",
        "branch_recognized",
        "carrier",
        "public_funded",
        "maker_space_city_filed",
        "rating",
        "level",
        "innovative_county_recognized",
        "county_work_system",
        "county_research_award_received",
        # projects 36-38
        "pilot_base_operator",
        "region_pilot_base_recognised",
        "kpi_science_venue_area",
        "kpi_youth_free_or_half_price",
        "kpi_science_events",
        "kpi_science_event_attendance",
        "kpi_special_science_events",
        "kpi_special_event_attendance",
        "investment_institution_co_applicant",
        "kpi_investment_cooperation",
        "kpi_project_landing",
        "kpi_host_and_organiser_as_required",
        "roadshow_plan_lead_days",
        "roadshow_activity_name",
        "city_level_or_above_platform",
        "kpi_roadshows_per_year",
        "kpi_investor_guests_per_roadshow",
        "kpi_invite_chain_talent_media",
    }
)


# --- Self-check against the rule engine ----------------------------------------------

_SAMPLE_STRINGS = (
    "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）",
    "新型储能电池（第9届南宁市创新创业大赛获奖企业后补助）",
    "（第十届南宁市创新创业大赛获奖企业后补助）",  # no project name
    "智能芯片（第届南宁市创新创业大赛获奖企业后补助）",  # no session number
    "智能芯片(第十届南宁市创新创业大赛获奖企业后补助)",  # ASCII brackets
    "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）\n",  # trailing newline
    "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）备注",
    "智能芯片",
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）",
    "‘邕城创客行’2023年南宁市科技创新创业路演活动第十二期（生物医药行业专场）",
    "'邕城创客行'2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）",  # ASCII quotes
    "“邕城创客行”2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）",  # double quotes
    "‘邕城创客行’22年南宁市科技创新创业路演活动第3期（电子信息行业专场）",  # two-digit year
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第XX期（电子信息行业专场）",  # placeholder number
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第３期（电子信息行业专场）",  # full-width digit
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（行业专场）",  # no industry
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子（信息）行业专场）",  # nested brackets
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息专场）",
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）\n",  # trailing newline
    "",
)
# valid names and their nearest misses (a trailing newline passes Python's `$` but not CEL's)
_LENIENT_STRINGS = (
    "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）",
    "新型储能电池（第9届南宁市创新创业大赛获奖企业后补助）",
    "智能芯片（第十届南宁市创新创业大赛获奖企业后补助）\n",
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）",
    "‘邕城创客行’2023年南宁市科技创新创业路演活动第十二期（生物医药行业专场）",
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子信息行业专场）\n",
    "‘邕城创客行’2022年南宁市科技创新创业路演活动第3期（电子（信息）行业专场）",
)
_SAMPLE_DATES = ("2020-06-15", "2021-12-31", "2022-01-01", "2022-01-02", "2022-12-31", "2023-03-01")


def _figures(guide) -> dict[str, set[float]]:
    """Every literal a fact is compared with in the guide's expressions (test data only)."""
    found: dict[str, set[float]] = {}
    for d in guide.directions:
        for rule in d.rules:
            for name, value in re.findall(r"\b([a-z_][a-z0-9_]*)\s*(?:>=|<=|==|!=|>|<)\s*(-?[0-9]+(?:\.[0-9]+)?)\b", rule.expr or ""):
                found.setdefault(name, set()).add(float(value))
    return found


def _random_row(rng, facts, figures) -> dict:
    lenient = rng.random() < 0.5  # half the rows lean towards passing, so every direction sees "eligible"
    p_true = rng.choice((0.85, 0.15)) if lenient else 0.5
    row: dict = {}
    for name, fact in facts.items():
        t = fact.type
        figs = sorted(figures.get(name, ()))
        if t == "bool":
            row[name] = rng.random() < p_true
        elif t in ("int", "money"):
            whole = [int(f) for f in figs]
            if whole and lenient:
                f = rng.choice(whole)
                row[name] = f + rng.choice((0, 0, 1))
            elif whole and rng.random() < 0.8:
                f = rng.choice(whole)
                row[name] = max(0, rng.choice((0, f - 1, f, f + 1, 2 * f)))
            else:
                top = 3 * max(whole) if whole and max(whole) > 0 else 12
                row[name] = rng.randint(0, top)
        elif t == "number":
            if figs and rng.random() < 0.8:
                f = rng.choice(figs)
                row[name] = f if lenient else max(0.0, rng.choice((0.0, f - 0.5, f, f + 0.25, 2 * f)))
            else:
                row[name] = round(rng.uniform(0, 3 * max(figs) if figs else 100.0), 2)
        elif t == "enum":
            row[name] = rng.choice(fact.values)
        elif t == "string":
            row[name] = rng.choice(_LENIENT_STRINGS if lenient else _SAMPLE_STRINGS)
        elif t == "date":
            row[name] = (
                rng.choice(_SAMPLE_DATES)
                if rng.random() < 0.7
                else f"{rng.randint(2019, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
        else:
            raise SystemExit(f"unhandled fact type {t} ({name})")
    # the matching-funds rules compare two facts: put self-raised funds around 1x and 2x the request
    req = rng.choice((0, 1_000_000, 1_999_999, 2_000_000, 2_000_001, rng.randint(0, 5_000_000)))
    row["requested_amount"] = req
    row["self_raised_amount"] = max(
        0, rng.choice((0, req - 1, req, req + 1, 2 * req - 1, 2 * req, 2 * req + 1, rng.randint(0, 3 * req + 1)))
    )
    return row


def _self_check(n_rows: int, guide_path: str | None = None, seed: int = 2022) -> int:
    import random

    from yongke.guide.engine import referenced_names
    from yongke.guide.loader import bundled_guide

    cg = bundled_guide(guide_path)
    guide = cg.guide
    facts = guide.facts
    direction_ids = [d.id for d in guide.directions]
    if direction_ids != list(DIRECTIONS):
        print(f"direction list differs: guide {direction_ids} vs handwritten {list(DIRECTIONS)}")
        return 1
    gate_facts = {n for d in guide.directions for r in d.rules if r.gating and r.expr for n in referenced_names(r.expr)} & set(facts)
    if gate_facts != FACTS_USED:
        print(
            f"FACTS_USED differs from the gates' facts: missing {sorted(gate_facts - FACTS_USED)}, extra {sorted(FACTS_USED - gate_facts)}"
        )
        return 1
    # each direction is checked with the facts any of its rules reads, as a client would send
    needed = {d.id: sorted({n for r in d.rules if r.expr for n in referenced_names(r.expr)} & set(facts)) for d in guide.directions}

    figures = _figures(guide)
    rng = random.Random(seed)
    eligible = dict.fromkeys(direction_ids, 0)
    for i in range(n_rows):
        row = _random_row(rng, facts, figures)
        mine = verdicts(row)
        for d in direction_ids:
            theirs = cg.check(d, {n: row[n] for n in needed[d]})["verdict"]
            if mine[d] != theirs:
                used = {n: row[n] for n in needed[d]}
                print(f"disagree on row {i}, direction {d}: handwritten {mine[d]}, engine {theirs}")
                print(f"facts: {used!r}")
                return 1
            eligible[d] += theirs == "eligible"
    print(f"agree on {n_rows} rows × {len(direction_ids)} directions")
    never = [d for d, n in eligible.items() if n in (0, n_rows)]
    print(
        f"eligible verdicts per direction: min {min(eligible.values())}, max {max(eligible.values())}"
        + (f"; one verdict only: {never}" if never else "")
    )
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_self_check(int(sys.argv[1]) if len(sys.argv) > 1 else 5000, sys.argv[2] if len(sys.argv) > 2 else None))
