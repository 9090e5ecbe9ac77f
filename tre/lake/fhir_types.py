"""FHIR resource type names: those of R4 (4.0.1), and those of other versions only."""

from __future__ import annotations

R4_RESOURCE_TYPES = frozenset(
    """
    Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment AppointmentResponse
    AuditEvent Basic Binary BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement
    CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse
    ClinicalImpression CodeSystem Communication CommunicationRequest CompartmentDefinition
    Composition ConceptMap Condition Consent Contract Coverage CoverageEligibilityRequest
    CoverageEligibilityResponse DetectedIssue Device DeviceDefinition DeviceMetric DeviceRequest
    DeviceUseStatement DiagnosticReport DocumentManifest DocumentReference
    EffectEvidenceSynthesis Encounter Endpoint EnrollmentRequest EnrollmentResponse
    EpisodeOfCare EventDefinition Evidence EvidenceVariable ExampleScenario ExplanationOfBenefit
    FamilyMemberHistory Flag Goal GraphDefinition Group GuidanceResponse HealthcareService
    ImagingStudy Immunization ImmunizationEvaluation ImmunizationRecommendation
    ImplementationGuide InsurancePlan Invoice Library Linkage List Location Measure
    MeasureReport Media Medication MedicationAdministration MedicationDispense
    MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
    MedicinalProductAuthorization MedicinalProductContraindication MedicinalProductIndication
    MedicinalProductIngredient MedicinalProductInteraction MedicinalProductManufactured
    MedicinalProductPackaged MedicinalProductPharmaceutical MedicinalProductUndesirableEffect
    MessageDefinition MessageHeader MolecularSequence NamingSystem NutritionOrder Observation
    ObservationDefinition OperationDefinition OperationOutcome Organization
    OrganizationAffiliation Parameters Patient PaymentNotice PaymentReconciliation Person
    PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire
    QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition
    ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment RiskEvidenceSynthesis
    Schedule SearchParameter ServiceRequest Slot Specimen SpecimenDefinition StructureDefinition
    StructureMap Subscription Substance SubstanceNucleicAcid SubstancePolymer SubstanceProtein
    SubstanceReferenceInformation SubstanceSourceMaterial SubstanceSpecification SupplyDelivery
    SupplyRequest Task TerminologyCapabilities TestReport TestScript ValueSet VerificationResult
    VisionPrescription
    """.split()  # noqa: SIM905 - a word list reads better than 146 quoted names
)

# Resource types of DSTU2, STU3, R4B or R5 that R4 does not have: a sign of a non-R4 export.
OTHER_VERSION_TYPES = frozenset(
    """
    ActorDefinition AdministrableProductDefinition ArtifactAssessment
    BiologicallyDerivedProductDispense BodySite Citation ClinicalUseDefinition
    ConditionDefinition Conformance DataElement DeviceComponent DeviceDispense DeviceUsage
    DeviceUseRequest DiagnosticOrder EligibilityRequest EligibilityResponse EncounterHistory
    ExpansionProfile FormularyItem GenomicStudy ImagingManifest ImagingObjectSelection
    ImagingSelection Ingredient InventoryItem InventoryReport ManufacturedItemDefinition
    MedicationOrder MedicinalProductDefinition NutritionIntake NutritionProduct Order
    OrderResponse PackagedProductDefinition Permission ProcedureRequest ProcessRequest
    ProcessResponse ReferralRequest RegulatedAuthorization Requirements Sequence
    ServiceDefinition SubscriptionStatus SubscriptionTopic SubstanceDefinition TestPlan
    Transport
    """.split()  # noqa: SIM905
)
