"""What happens to the synthetic patients: ICD-10 diagnoses, LOINC observations, ATC drugs,
SNOMED CT procedures and encounter types, each with a display and a relative frequency.

Diagnosis groups steer codes by age: `c` mostly children and young adults, `a` any age,
`e` mostly older people (chronic disease, cancer, fractures of the frail).
"""

from __future__ import annotations

ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
LOINC_SYSTEM = "http://loinc.org"
ATC_SYSTEM = "http://www.whocc.no/atc"
SNOMED_SYSTEM = "http://snomed.info/sct"
UCUM_SYSTEM = "http://unitsofmeasure.org"


def _rows(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(part.strip() for part in line.split("|")) for line in text.strip().splitlines()
    )


# code | display | group | weight
_ICD10 = """
J00|Acute nasopharyngitis [common cold]|c|40
J02.9|Acute pharyngitis, unspecified|c|15
J03.9|Acute tonsillitis, unspecified|c|8
J06.9|Acute upper respiratory infection, unspecified|c|45
J11.1|Influenza with other respiratory manifestations, virus not identified|c|12
J20.9|Acute bronchitis, unspecified|c|12
J21.9|Acute bronchiolitis, unspecified|c|3
J45.9|Asthma, unspecified|a|12
H66.9|Otitis media, unspecified|c|8
H10.9|Conjunctivitis, unspecified|c|6
A09|Other gastroenteritis and colitis of infectious and unspecified origin|c|12
A08.4|Viral intestinal infection, unspecified|c|6
B01.9|Varicella without complication|c|2
B08.4|Enteroviral vesicular stomatitis with exanthem|c|2
B27.9|Infectious mononucleosis, unspecified|c|1
B34.9|Viral infection, unspecified|c|6
L20.9|Atopic dermatitis, unspecified|c|12
L30.9|Dermatitis, unspecified|a|8
L50.9|Urticaria, unspecified|a|6
L70.0|Acne vulgaris|c|5
J30.4|Allergic rhinitis, unspecified|c|14
J30.1|Allergic rhinitis due to pollen|a|14
R50.9|Fever, unspecified|c|6
R05|Cough|a|6
S52.5|Fracture of lower end of radius|c|2
S93.4|Sprain and strain of ankle|c|4
T78.4|Allergy, unspecified|c|2
F90.0|Disturbance of activity and attention|c|3
F84.0|Childhood autism|c|2
K35.8|Acute appendicitis, other and unspecified|c|2
N39.0|Urinary tract infection, site not specified|a|8
U07.1|COVID-19, virus identified|a|10
Z00.1|Routine child health examination|c|10
K21.0|Gastro-oesophageal reflux disease with oesophagitis|a|6
K21.9|Gastro-oesophageal reflux disease without oesophagitis|a|10
K29.7|Gastritis, unspecified|a|12
K25.9|Gastric ulcer, unspecified as acute or chronic, without haemorrhage or perforation|a|4
K26.9|Duodenal ulcer, unspecified as acute or chronic, without haemorrhage or perforation|a|2
K58.9|Irritable bowel syndrome without diarrhoea|a|4
K59.0|Constipation|e|10
K80.2|Calculus of gallbladder without cholecystitis|a|3
K76.0|Fatty (change of) liver, not elsewhere classified|a|6
B18.1|Chronic viral hepatitis B without delta-agent|a|2
B18.2|Chronic viral hepatitis C|e|2
E03.9|Hypothyroidism, unspecified|a|4
E05.0|Thyrotoxicosis with diffuse goitre|a|2
E06.3|Autoimmune thyroiditis|a|3
E66.9|Obesity, unspecified|a|3
E78.0|Pure hypercholesterolaemia|e|10
E78.5|Hyperlipidaemia, unspecified|e|25
E79.0|Hyperuricaemia without signs of inflammatory arthritis and tophaceous disease|a|8
M10.9|Gout, unspecified|a|3
F32.9|Depressive episode, unspecified|a|7
F33.9|Recurrent depressive disorder, unspecified|a|3
F41.1|Generalized anxiety disorder|a|3
F41.9|Anxiety disorder, unspecified|a|3
F43.2|Adjustment disorders|a|3
F51.0|Nonorganic insomnia|e|8
G47.0|Disorders of initiating and maintaining sleep|e|5
F20.9|Schizophrenia, unspecified|a|3
F31.9|Bipolar affective disorder, unspecified|a|2
F10.2|Mental and behavioural disorders due to use of alcohol, dependence syndrome|a|1
G43.9|Migraine, unspecified|a|4
G44.2|Tension-type headache|a|3
R51|Headache|a|4
G40.9|Epilepsy, unspecified|a|2
H52.1|Myopia|c|4
H40.9|Glaucoma, unspecified|e|7
H25.9|Senile cataract, unspecified|e|8
H35.3|Degeneration of macula and posterior pole|e|3
H81.1|Benign paroxysmal vertigo|e|3
H90.3|Sensorineural hearing loss, bilateral|e|3
I10|Essential (primary) hypertension|e|60
I11.9|Hypertensive heart disease without (congestive) heart failure|e|4
I20.9|Angina pectoris, unspecified|e|6
I21.9|Acute myocardial infarction, unspecified|e|2
I25.1|Atherosclerotic heart disease|e|5
I48.9|Atrial fibrillation and atrial flutter, unspecified|e|7
I49.9|Cardiac arrhythmia, unspecified|e|3
I50.0|Congestive heart failure|e|4
I50.9|Heart failure, unspecified|e|6
I63.9|Cerebral infarction, unspecified|e|6
I61.9|Intracerebral haemorrhage, unspecified|e|2
I64|Stroke, not specified as haemorrhage or infarction|e|1
I67.2|Cerebral atherosclerosis|e|2
I69.3|Sequelae of cerebral infarction|e|4
I70.2|Atherosclerosis of arteries of extremities|e|2
I83.9|Varicose veins of lower extremities without ulcer or inflammation|e|2
K64.9|Haemorrhoids, unspecified|a|3
I95.9|Hypotension, unspecified|e|1
J18.9|Pneumonia, unspecified|e|7
J15.9|Bacterial pneumonia, unspecified|e|3
J69.0|Pneumonitis due to food and vomit|e|3
J44.9|Chronic obstructive pulmonary disease, unspecified|e|5
J44.1|Chronic obstructive pulmonary disease with acute exacerbation, unspecified|e|1
J32.9|Chronic sinusitis, unspecified|a|3
J84.1|Other interstitial pulmonary diseases with fibrosis|e|2
J96.0|Acute respiratory failure|e|1
E10.9|Type 1 diabetes mellitus without complications|a|1
E11.9|Type 2 diabetes mellitus without complications|e|30
E11.2|Type 2 diabetes mellitus with renal complications|e|4
E11.3|Type 2 diabetes mellitus with ophthalmic complications|e|3
E11.4|Type 2 diabetes mellitus with neurological complications|e|2
E11.6|Type 2 diabetes mellitus with other specified complications|e|2
E14.9|Unspecified diabetes mellitus without complications|e|4
E87.1|Hypo-osmolality and hyponatraemia|e|1
E86|Volume depletion|e|3
D50.9|Iron deficiency anaemia, unspecified|a|5
D64.9|Anaemia, unspecified|e|4
D69.6|Thrombocytopenia, unspecified|e|1
N18.3|Chronic kidney disease, stage 3|e|5
N18.4|Chronic kidney disease, stage 4|e|2
N18.5|Chronic kidney disease, stage 5|e|2
N18.9|Chronic kidney disease, unspecified|e|4
N20.0|Calculus of kidney|a|3
N30.0|Acute cystitis|a|5
N40|Hyperplasia of prostate|e|8
N31.9|Neuromuscular dysfunction of bladder, unspecified|e|3
N39.4|Other specified urinary incontinence|e|2
N76.0|Acute vaginitis|a|2
N95.1|Menopausal and female climacteric states|a|3
N92.0|Excessive and frequent menstruation with regular cycle|a|2
N94.6|Dysmenorrhoea, unspecified|c|3
N80.9|Endometriosis, unspecified|a|1
D25.9|Leiomyoma of uterus, unspecified|a|2
O80|Single spontaneous delivery|a|1
O21.0|Mild hyperemesis gravidarum|a|1
O24.4|Diabetes mellitus arising in pregnancy|a|1
Z34.9|Supervision of normal pregnancy, unspecified|a|2
M06.9|Rheumatoid arthritis, unspecified|e|3
M15.9|Polyarthrosis, unspecified|e|2
M16.9|Coxarthrosis, unspecified|e|3
M17.9|Gonarthrosis, unspecified|e|12
M19.9|Arthrosis, unspecified|e|3
M47.8|Other spondylosis|e|5
M48.0|Spinal stenosis|e|7
M51.2|Other specified intervertebral disc displacement|a|3
M54.5|Low back pain|a|15
M54.2|Cervicalgia|a|5
M75.0|Adhesive capsulitis of shoulder|a|4
M79.1|Myalgia|a|3
M79.6|Pain in limb|a|3
M81.0|Postmenopausal osteoporosis|e|10
M81.9|Osteoporosis, unspecified|e|5
M80.0|Postmenopausal osteoporosis with pathological fracture|e|2
S72.0|Fracture of neck of femur|e|3
S72.1|Pertrochanteric fracture|e|2
S32.0|Fracture of lumbar vertebra|e|3
S22.0|Fracture of thoracic vertebra|e|2
S42.2|Fracture of upper end of humerus|e|1
S06.0|Concussion|c|2
T14.0|Superficial injury of unspecified body region|a|4
G20|Parkinson disease|e|3
G30.9|Alzheimer disease, unspecified|e|6
F01.9|Vascular dementia, unspecified|e|2
F03|Unspecified dementia|e|4
G35|Multiple sclerosis|a|1
G56.0|Carpal tunnel syndrome|a|2
G62.9|Polyneuropathy, unspecified|e|2
G47.3|Sleep apnoea|a|3
R42|Dizziness and giddiness|e|4
R10.4|Other and unspecified abdominal pain|a|6
R11|Nausea and vomiting|a|3
R06.0|Dyspnoea|e|2
R07.4|Chest pain, unspecified|a|3
R53|Malaise and fatigue|a|2
R63.4|Abnormal weight loss|e|1
R73.0|Abnormal glucose tolerance test|a|3
R31|Unspecified haematuria|e|1
R32|Unspecified urinary incontinence|e|2
C16.9|Malignant neoplasm: Stomach, unspecified|e|4
C18.9|Malignant neoplasm: Colon, unspecified|e|4
C20|Malignant neoplasm of rectum|e|2
C22.0|Liver cell carcinoma|e|1
C25.9|Malignant neoplasm: Pancreas, unspecified|e|1
C34.9|Malignant neoplasm: Bronchus or lung, unspecified|e|4
C50.9|Malignant neoplasm: Breast, unspecified|a|3
C53.9|Malignant neoplasm: Cervix uteri, unspecified|a|1
C54.1|Malignant neoplasm: Endometrium|e|1
C56|Malignant neoplasm of ovary|e|1
C61|Malignant neoplasm of prostate|e|3
C67.9|Malignant neoplasm: Bladder, unspecified|e|1
C73|Malignant neoplasm of thyroid gland|a|1
C15.9|Malignant neoplasm: Oesophagus, unspecified|e|1
C64|Malignant neoplasm of kidney, except renal pelvis|e|1
C90.0|Multiple myeloma|e|1
C83.3|Diffuse large B-cell lymphoma|e|1
C92.0|Acute myeloid leukaemia|e|1
D12.6|Benign neoplasm: Colon, unspecified|e|4
D17.9|Benign lipomatous neoplasm, unspecified|a|1
D22.9|Melanocytic naevi, unspecified|a|1
K57.3|Diverticular disease of large intestine without perforation or abscess|e|2
K63.5|Polyp of colon|e|3
K74.6|Other and unspecified cirrhosis of liver|e|1
K70.3|Alcoholic cirrhosis of liver|e|1
K85.9|Acute pancreatitis, unspecified|a|1
K86.1|Other chronic pancreatitis|e|1
K56.7|Ileus, unspecified|e|1
K92.2|Gastrointestinal haemorrhage, unspecified|e|1
K50.9|Crohn disease, unspecified|c|1
K51.9|Ulcerative colitis, unspecified|a|2
K02.9|Dental caries, unspecified|c|3
K05.1|Chronic gingivitis|a|3
L03.9|Cellulitis, unspecified|a|2
L40.0|Psoriasis vulgaris|a|2
L89.9|Pressure ulcer of unspecified grade|e|2
L60.0|Ingrowing nail|a|2
B35.1|Tinea unguium|e|3
B35.3|Tinea pedis|a|3
B02.9|Zoster without complication|e|3
A15.0|Tuberculosis of lung, confirmed by sputum microscopy with or without culture|e|1
A41.9|Sepsis, unspecified|e|1
H26.9|Cataract, unspecified|e|3
H04.1|Other disorders of lacrimal gland|e|3
H61.2|Impacted cerumen|a|2
H93.1|Tinnitus|e|2
J01.9|Acute sinusitis, unspecified|a|4
I26.9|Pulmonary embolism without mention of acute cor pulmonale|e|1
I80.2|Phlebitis and thrombophlebitis of other deep vessels of lower extremities|e|1
I35.0|Aortic (valve) stenosis|e|2
I34.0|Mitral (valve) insufficiency|e|1
I71.4|Abdominal aortic aneurysm, without mention of rupture|e|1
I73.9|Peripheral vascular disease, unspecified|e|1
E04.1|Nontoxic single thyroid nodule|a|1
E55.9|Vitamin D deficiency, unspecified|e|1
E87.6|Hypokalaemia|e|1
N04.9|Nephrotic syndrome, unspecified|a|1
N17.9|Acute renal failure, unspecified|e|1
N28.1|Cyst of kidney, acquired|e|1
M05.9|Seropositive rheumatoid arthritis, unspecified|e|1
M32.9|Systemic lupus erythematosus, unspecified|a|1
M35.0|Sicca syndrome [Sjogren]|a|1
M65.3|Trigger finger|a|2
M77.1|Lateral epicondylitis|a|2
M25.5|Pain in joint|a|4
R00.2|Palpitations|a|2
R26.8|Other and unspecified abnormalities of gait and mobility|e|2
R60.0|Localized oedema|e|2
T81.4|Infection following a procedure, not elsewhere classified|e|1
Z00.0|General medical examination|a|10
Z71.3|Dietary counselling and surveillance|a|2
Z72.0|Tobacco use|a|2
"""
ICD10 = _rows(_ICD10)

# code | display | unit | mean | sd | decimals, for laboratory results
_LABS = """
4548-4|Hemoglobin A1c/Hemoglobin.total in Blood|%|5.8|0.8|1
2339-0|Glucose [Mass/volume] in Blood|mg/dL|105|25|0
2093-3|Cholesterol [Mass/volume] in Serum or Plasma|mg/dL|200|35|0
13457-7|Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation|mg/dL|120|30|0
2085-9|Cholesterol in HDL [Mass/volume] in Serum or Plasma|mg/dL|60|15|0
2571-8|Triglyceride [Mass/volume] in Serum or Plasma|mg/dL|130|60|0
2160-0|Creatinine [Mass/volume] in Serum or Plasma|mg/dL|0.85|0.25|2
33914-3|Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma \
by Creatinine-based formula (MDRD)|mL/min/{1.73_m2}|70|18|0
1742-6|Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma|U/L|22|12|0
718-7|Hemoglobin [Mass/volume] in Blood|g/dL|13.5|1.6|1
"""
LABS = _rows(_LABS)

# code | display | unit, vital signs recorded together (weight, BMI, heart rate)
WEIGHT = ("29463-7", "Body weight", "kg")
BMI = ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2")
HEART_RATE = ("8867-4", "Heart rate", "/min")
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

# ATC code | display | weight
_DRUGS = """
C08CA01|amlodipine|30
C09CA08|olmesartan medoxomil|10
C09CA07|telmisartan|10
C09CA06|candesartan|8
C09CA03|valsartan|5
C07AB07|bisoprolol|5
C03CA01|furosemide|5
C03DA01|spironolactone|3
C10AA05|atorvastatin|12
C10AA07|rosuvastatin|12
C10AA08|pitavastatin|6
C10AX09|ezetimibe|4
A10BA02|metformin|10
A10BH01|sitagliptin|6
A10BH02|vildagliptin|5
A10BK01|dapagliflozin|4
A10BK03|empagliflozin|4
A10AE04|insulin glargine|2
A10BB12|glimepiride|3
B01AC06|acetylsalicylic acid|8
B01AF01|rivaroxaban|3
B01AF02|apixaban|4
B01AF03|edoxaban|4
B01AA03|warfarin|2
B01AC04|clopidogrel|4
A02BC05|esomeprazole|8
A02BC01|omeprazole|3
A02BC04|rabeprazole|6
A02BC03|lansoprazole|6
A02BC08|vonoprazan|8
A06AD02|magnesium oxide|15
M01AE01|ibuprofen|4
N02BE01|paracetamol|12
M01AB05|diclofenac|4
N05CF02|zolpidem|5
N05CD09|brotizolam|5
N06AB10|escitalopram|3
N06AB06|sertraline|2
N06AX11|mirtazapine|2
N05AH04|quetiapine|2
N05AX08|risperidone|2
N03AX14|levetiracetam|2
N06DA02|donepezil|4
N04BA02|levodopa and decarboxylase inhibitor|2
R03DC03|montelukast|6
R06AX26|fexofenadine|10
R06AE07|cetirizine|4
R05CB03|carbocisteine|10
J01CA04|amoxicillin|6
J01FA09|clarithromycin|5
J01FA10|azithromycin|3
J01MA12|levofloxacin|4
J05AH02|oseltamivir|3
H03AA01|levothyroxine sodium|4
M05BA04|alendronic acid|4
M04AA01|allopurinol|3
M04AA03|febuxostat|5
H02AB06|prednisolone|4
L04AX03|methotrexate|1
G04CA02|tamsulosin|4
G04BD08|solifenacin|2
S01EE01|latanoprost|4
D07AC01|betamethasone|4
A11CC03|alfacalcidol|3
N02AX02|tramadol|2
N02BF02|pregabalin|4
"""
DRUGS = _rows(_DRUGS)

DOSAGE_TEXTS = (
    "1日1回 朝食後",
    "1日2回 朝夕食後",
    "1日3回 毎食後",
    "1日1回 就寝前",
    "疼痛時 頓用",
)

# SNOMED CT code | display | weight | median cost in JPY
_PROCEDURES = """
430193006|Medication reconciliation (procedure)|20|500
710824005|Assessment of health and social care needs (procedure)|10|1000
399208008|Plain X-ray of chest (procedure)|15|2100
77477000|Computerized axial tomography (procedure)|8|15000
113091000|Magnetic resonance imaging (procedure)|4|25000
16310003|Diagnostic ultrasonography (procedure)|8|5300
29303009|Electrocardiographic procedure (procedure)|10|1300
40701008|Echocardiography (procedure)|4|8800
76009000|Esophagogastroduodenoscopy (procedure)|5|11400
73761001|Colonoscopy (procedure)|3|15500
274025005|Colonic polypectomy (procedure)|1|50000
76601001|Intramuscular injection (procedure)|8|1000
117015009|Throat culture (procedure)|4|1600
302497006|Hemodialysis (procedure)|2|30000
367336001|Chemotherapy (procedure)|1|120000
415070008|Percutaneous coronary intervention (procedure)|1|1000000
232717009|Coronary artery bypass grafting (procedure)|1|3000000
18286008|Catheter ablation of tissue of heart (procedure)|1|1500000
80146002|Appendectomy (procedure)|1|500000
38102005|Cholecystectomy (procedure)|1|600000
52734007|Total replacement of hip (procedure)|1|1800000
609588000|Total knee replacement (procedure)|1|1800000
11466000|Cesarean section (procedure)|1|700000
91251008|Physical therapy procedure (procedure)|6|2500
171207006|Depression screening (procedure)|2|800
"""
PROCEDURES = _rows(_PROCEDURES)

# class code | class display | SNOMED type code | type display | median cost in JPY | log sd
ENCOUNTER_KINDS = (
    ("AMB", "ambulatory", "185349003", "Encounter for check up (procedure)", 4000, 0.5),
    ("AMB", "ambulatory", "185345009", "Encounter for symptom (procedure)", 5500, 0.6),
    ("AMB", "ambulatory", "390906007", "Follow-up encounter (procedure)", 4500, 0.5),
    ("EMER", "emergency", "50849002", "Emergency room admission (procedure)", 40000, 0.7),
    ("IMP", "inpatient encounter", "32485007", "Hospital admission (procedure)", 35000, 0.4),
)
# Probability of each encounter kind for people under 65 and for people 65 and over.
ENCOUNTER_KIND_P_YOUNG = (0.25, 0.40, 0.27, 0.05, 0.03)
ENCOUNTER_KIND_P_OLD = (0.15, 0.30, 0.42, 0.05, 0.08)

INSURANCE_PLANS = (
    "国民健康保険",
    "全国健康保険協会管掌健康保険",
    "組合管掌健康保険",
    "後期高齢者医療",
)
