"""Vocabularies of the Japanese clinical documents (`tre demo-data --format jp-clins`).

Code system URIs are those of JP Core and JP-CLINS. Codes are of the real shapes; the
drug, laboratory and check-up codes are ones that appear in the published JP-CLINS,
eReferral and eCheckupReport examples, the disease rows pair ICD-10 codes with MEDIS-style
disease numbers for demonstration only (not taken from the MEDIS master).
"""

from __future__ import annotations

INSURANCE_MEMBER_SYSTEM = "http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID"
MRN_SYSTEM_PREFIX = "urn:oid:1.2.392.100495.20.3.51.1"
INSTITUTION_SYSTEM = "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"
INSURER_SYSTEM = "urn:oid:1.2.392.100495.20.3.61"
PREFECTURE_SYSTEM = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/PrefectureNo-2digits"
EXT = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/"
DOC_TYPES = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes"
SECTIONS = "http://jpfhir.jp/fhir/clins/CodeSystem/document-section"
CHECKUP_SECTIONS = "http://jpfhir.jp/fhir/eCheckup/CodeSystem/section-code"
MEDIS_DISEASE = "http://medis.or.jp/CodeSystem/master-disease-keyNumber"
ICD10_JP = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full"
YJ = "http://capstandard.jp/iyaku.info/CodeSystem/YJ-code"
HOT9 = "http://medis.or.jp/CodeSystem/master-HOT9"
GENERAL_NAME = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationGeneralOrderCode"
JLAC10 = "http://medis.or.jp/CodeSystem/master-JLAC10-17digits"
CORE_LABO = "http://jpfhir.jp/fhir/clins/CodeSystem/JLAC10/JP_CLINS_ObsLabResult_CoreLabo_CS"
INFECTION_LABO = (
    "http://jpfhir.jp/fhir/clins/CodeSystem/JLAC10/JP_CLINS_ObsLabResult_InfectionLabo_CS"
)
CHECKUP_ITEMS = "urn:oid:1.2.392.200119.6.1005"
OBS_CATEGORY = "http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS"
FOOD_ALLERGEN = "http://jpfhir.jp/fhir/core/CodeSystem/JP_JfagyFoodAllergen_CS"
USAGE = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationUsage_ePrescription"
ROUTE = "http://jpfhir.jp/fhir/core/CodeSystem/route-codes"
MERIT9_UNIT = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/MedicationUnitMERIT9Code"
DIAGNOSIS_TYPE = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype"
COVERAGE_TYPE = "urn:oid:1.2.392.100495.20.2.61"
RELATIONSHIP = "urn:oid:1.2.392.100495.20.2.62"

# (ICD-10, MEDIS-style number, 病名, weight)
DISEASES: tuple[tuple[str, str, str, int], ...] = (
    ("I10", "20064164", "本態性高血圧症", 30),
    ("E119", "20062581", "２型糖尿病", 18),
    ("E785", "20063451", "脂質異常症", 16),
    ("I209", "20058911", "狭心症", 6),
    ("R101", "20065011", "上腹部痛", 5),
    ("J189", "20055241", "肺炎", 5),
    ("K297", "20068702", "胃炎", 6),
    ("M545", "20069011", "腰痛症", 8),
    ("S529", "20080427", "前腕骨折", 2),
    ("C169", "20061032", "胃癌", 2),
    ("I639", "20059542", "脳梗塞", 3),
    ("N183", "20073381", "慢性腎臓病", 3),
)
# (YJ code, HOT9 code or "", display, dose unit code, unit display)
DRUGS: tuple[tuple[str, str, str, str, str], ...] = (
    ("2171022F6276", "121431401", "アムロジピンＯＤ錠１０ｍｇ", "TAB", "錠"),
    ("2233002F1280", "103831601", "カルボシステイン錠２５０ｍｇ「サワイ」", "TAB", "錠"),
    ("1141007F3023", "123812902", "カロナール錠５００", "TAB", "錠"),
    ("2456001F1310", "105271807", "プレドニン錠５ｍｇ", "TAB", "錠"),
    ("2316009F1022", "104195801", "ミヤＢＭ錠", "TAB", "錠"),
    ("1190027F1022", "", "デエビゴ錠２．５ｍｇ", "TAB", "錠"),
    ("3219100F1020", "", "デノタスチュアブル配合錠", "TAB", "錠"),
)
GENERAL_DRUG = ("1124030F2ZZZ", "【般】クアゼパム錠２０ｍｇ")
# (usage code, display, times a day)
USAGES: tuple[tuple[str, str, int], ...] = (
    ("1013044400000000", "１日３回朝昼夕食後　服用", 3),
    ("1011100000000000", "１日１回就寝前　服用", 1),
    ("1012040400000000", "１日２回朝夕食後　服用", 2),
)
# (JLAC10 17 digits, display, unit, low, high, typical mean, spread)
LABS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    ("3A015000002327101", "アルブミン", "g/dL", 4.1, 5.1, 4.2, 0.4),
    ("3H015000002326101", "カリウム", "mmol/L", 3.6, 4.8, 4.2, 0.4),
    ("3C015000002327101", "クレアチニン", "mg/dL", 0.46, 1.07, 0.9, 0.3),
    ("2A990000001930952", "ヘモグロビン", "g/dL", 11.6, 16.8, 13.5, 1.5),
)
# (JLAC10 17 digits, display): infection tests reported as CLINS infection items.
INFECTIONS: tuple[tuple[str, str], ...] = (
    ("5F016141002305101", "HBs抗原"),
    ("5F360149002305101", "HCV抗体"),
    ("5F111142002305101", "梅毒TP抗体"),
)
INFECTION_RESULTS = (("N", "陰性"), ("A", "陽性"))
# (code, display, unit, mean, spread): 特定健診 items.
CHECKUP: tuple[tuple[str, str, str, float, float], ...] = (
    ("9N001000000000001", "身長", "cm", 162.0, 9.0),
    ("9N006000000000001", "体重", "kg", 60.0, 11.0),
    ("9N016160100000001", "腹囲", "cm", 82.0, 9.0),
    ("9A751000000000001", "収縮期血圧（１回目）", "mmHg", 128.0, 16.0),
    ("9A761000000000001", "拡張期血圧（１回目）", "mmHg", 78.0, 10.0),
    ("3D046000001906202", "ＨｂＡ１ｃ（ＮＧＳＰ）", "%", 5.7, 0.6),
    ("3F077000002327101", "ＬＤＬコレステロール", "mg/dl", 120.0, 30.0),
)
# (J-FAGY code, display)
FOODS: tuple[tuple[str, str], ...] = (
    ("J9FC11310000", "さば"),
    ("J9FA32540000", "キウイフルーツ"),
    ("J9FB12100000", "鶏卵"),
)
# Section codes of each document type (clins document-section codes).
REFERRAL_SECTIONS = ("910", "920", "950", "340", "370", "510", "520")
DISCHARGE_SECTIONS = ("910", "340", "360", "430", "610")
# 退院時転帰 (discharge disposition)
DISCHARGE_DISPOSITIONS = (("01", "自宅"), ("04", "他の病院・診療所への転院"), ("07", "死亡"))
# (記号 characters): kana and digits, as printed on insurance cards.
SYMBOL_KANA = "あいうえおかきくけこさしすせそ"
