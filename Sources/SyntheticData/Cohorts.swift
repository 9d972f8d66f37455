extension SyntheticCases.Cohort {
    // Extensions of a nested type do not see its siblings by their short names.
    typealias Exam = SyntheticCases.Exam
    typealias AgeModel = SyntheticCases.AgeModel
    typealias Weighted<Value: Sendable> = SyntheticCases.Weighted<Value>

    /// Shares diagnosed at stage I, II, III and IV, and without a recorded stage.
    private static func stageMix(_ i: Double, _ ii: Double, _ iii: Double, _ iv: Double, unknown: Double) -> Weighted<SyntheticCases.Stage> {
        Weighted([.i: i, .ii: ii, .iii: iii, .iv: iv, .unknown: unknown])
    }

    /// Adult patients with `diagnosis`. Ages loosely follow registry medians at diagnosis
    /// (SEER/ECIS), stages the share diagnosed at each stage, and exams the usual pathway
    /// (e.g. mpMRI then PSMA PET for prostate, mammography then ultrasound for breast).
    static func adult(_ diagnosis: SyntheticCases.Diagnosis) -> Self {
        switch diagnosis {
        case .oesophagus:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 67, below: 10, above: 9, range: 30...95),
                stages: stageMix(10, 20, 30, 30, unknown: 10),
                exams: .init(primary: Exam(.ct, .chest), mix: Weighted([
                    Exam(.ct, .chest): 40, Exam(.pt, .wholeBody): 25, Exam(.ct, .abdomen): 25, Exam(.dx, .chest): 10,
                ]))
            )
        case .stomach:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 70, below: 11, above: 9, range: 25...98),
                stages: stageMix(20, 15, 22, 35, unknown: 8),
                exams: .init(primary: Exam(.ct, .abdomen), mix: Weighted([
                    Exam(.ct, .abdomen): 60, Exam(.ct, .chest): 20, Exam(.pt, .wholeBody): 10, Exam(.us, .abdomen): 10,
                ]))
            )
        case .colon:
            // Colorectal cancer: median age at diagnosis ~70.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 71, below: 11, above: 9, range: 25...99),
                stages: stageMix(18, 26, 28, 20, unknown: 8),
                exams: .init(primary: Exam(.ct, .abdomen), mix: Weighted([
                    Exam(.ct, .abdomen): 45, Exam(.ct, .chest): 20, Exam(.ct, .pelvis): 10, Exam(.mr, .liver): 8,
                    Exam(.us, .liver): 8, Exam(.pt, .wholeBody): 5, Exam(.us, .abdomen): 4,
                ]))
            )
        case .rectum:
            // Rectal cancer is staged locally with pelvic MR.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 67, below: 11, above: 9, range: 25...98),
                stages: stageMix(20, 22, 30, 18, unknown: 10),
                exams: .init(primary: Exam(.mr, .pelvis), mix: Weighted([
                    Exam(.mr, .pelvis): 35, Exam(.ct, .abdomen): 25, Exam(.ct, .chest): 15, Exam(.mr, .liver): 8,
                    Exam(.us, .pelvis): 7, Exam(.pt, .wholeBody): 5, Exam(.us, .liver): 5,
                ]))
            )
        case .liver:
            // Hepatocellular carcinoma: ultrasound surveillance, multiphase CT or MR.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 66, below: 10, above: 9, range: 25...95),
                stages: stageMix(30, 20, 20, 15, unknown: 15),
                exams: .init(primary: Exam(.ct, .liver), mix: Weighted([
                    Exam(.mr, .liver): 35, Exam(.ct, .liver): 30, Exam(.us, .liver): 25, Exam(.ct, .chest): 10,
                ]))
            )
        case .pancreas:
            // About half of pancreatic cancers are metastatic at diagnosis.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 70, below: 10, above: 9, range: 30...98),
                stages: stageMix(10, 20, 12, 50, unknown: 8),
                exams: .init(primary: Exam(.ct, .abdomen), mix: Weighted([
                    Exam(.ct, .abdomen): 60, Exam(.mr, .abdomen): 15, Exam(.ct, .chest): 15, Exam(.pt, .wholeBody): 5,
                    Exam(.us, .abdomen): 5,
                ]))
            )
        case .lung:
            // Lung cancer: median age ~70, roughly half stage IV at diagnosis; CT chest
            // dominates, with FDG PET staging and MR brain for metastases.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 69, below: 9, above: 8, range: 30...98),
                stages: stageMix(22, 8, 20, 42, unknown: 8),
                exams: .init(primary: Exam(.ct, .chest), mix: Weighted([
                    Exam(.ct, .chest): 50, Exam(.pt, .wholeBody): 14, Exam(.dx, .chest): 8, Exam(.mr, .brain): 8,
                    Exam(.cr, .chest): 6, Exam(.ct, .abdomen): 4, Exam(.ct, .head): 3, Exam(.nm, .wholeBody): 3,
                ]))
            )
        case .bone:
            // In adults mostly chondrosarcoma, spread over middle age.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 45, below: 18, above: 15, range: 18...90),
                stages: stageMix(35, 35, 5, 15, unknown: 10),
                exams: .init(primary: Exam(.dx, .extremity), mix: Weighted([
                    Exam(.mr, .extremity): 40, Exam(.ct, .chest): 25, Exam(.dx, .extremity): 20, Exam(.nm, .wholeBody): 8,
                    Exam(.pt, .wholeBody): 7,
                ]))
            )
        case .melanoma:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 62, below: 16, above: 13, range: 18...99),
                stages: stageMix(45, 20, 15, 7, unknown: 13),
                exams: .init(primary: Exam(.ct, .chest), mix: Weighted([
                    Exam(.pt, .wholeBody): 25, Exam(.ct, .chest): 25, Exam(.ct, .abdomen): 15, Exam(.mr, .brain): 15,
                    Exam(.us, .extremity): 10, Exam(.us, .headNeck): 5, Exam(.ct, .head): 5,
                ]))
            )
        case .softTissue:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 58, below: 17, above: 14, range: 18...95),
                stages: stageMix(30, 25, 20, 12, unknown: 13),
                exams: .init(primary: Exam(.mr, .extremity), mix: Weighted([
                    Exam(.mr, .extremity): 45, Exam(.ct, .chest): 30, Exam(.pt, .wholeBody): 10, Exam(.us, .extremity): 10,
                    Exam(.ct, .abdomen): 5,
                ]))
            )
        case .breast:
            // Breast cancer: incidence peaks in the late 50s and 60s (screening at 50-69),
            // two thirds found at stage I-II; mammography, then ultrasound and MR.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 58, below: 12, above: 12, range: 22...99),
                stages: stageMix(40, 34, 11, 6, unknown: 9),
                exams: .init(primary: Exam(.mg, .breast), mix: Weighted([
                    Exam(.mg, .breast): 40, Exam(.us, .breast): 22, Exam(.mr, .breast): 14, Exam(.ct, .chest): 9,
                    Exam(.pt, .wholeBody): 4, Exam(.nm, .wholeBody): 4, Exam(.ct, .abdomen): 3, Exam(.mr, .brain): 2,
                    Exam(.dx, .chest): 2,
                ]))
            )
        case .cervix:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 47, below: 11, above: 14, range: 20...95),
                stages: stageMix(40, 20, 22, 10, unknown: 8),
                exams: .init(primary: Exam(.mr, .pelvis), mix: Weighted([
                    Exam(.mr, .pelvis): 50, Exam(.ct, .abdomen): 20, Exam(.pt, .wholeBody): 15, Exam(.ct, .chest): 10,
                    Exam(.us, .pelvis): 5,
                ]))
            )
        case .ovary:
            // Ovarian cancer: most found at stage III.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 63, below: 12, above: 11, range: 20...98),
                stages: stageMix(20, 8, 45, 22, unknown: 5),
                exams: .init(primary: Exam(.us, .pelvis), mix: Weighted([
                    Exam(.ct, .abdomen): 45, Exam(.us, .pelvis): 25, Exam(.mr, .pelvis): 15, Exam(.ct, .chest): 10,
                    Exam(.pt, .wholeBody): 5,
                ]))
            )
        case .prostate:
            // Prostate cancer: median age at diagnosis ~66-68, mostly localised; mpMRI of
            // the prostate, then PSMA PET, CT and bone scintigraphy for staging.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 67, below: 7.5, above: 7, range: 40...99),
                stages: stageMix(18, 42, 15, 12, unknown: 13),
                exams: .init(primary: Exam(.mr, .prostate), mix: Weighted([
                    Exam(.mr, .prostate): 45, Exam(.mr, .pelvis): 12, Exam(.pt, .wholeBody): 10, Exam(.nm, .wholeBody): 10,
                    Exam(.ct, .abdomen): 8, Exam(.ct, .pelvis): 6, Exam(.us, .prostate): 4, Exam(.ct, .chest): 3,
                    Exam(.mr, .spine): 2,
                ]))
            )
        case .testis:
            // Testicular cancer peaks at 25-40 and is rarely stage IV (AJCC has none).
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 33, below: 8, above: 11, range: 15...85),
                stages: stageMix(65, 17, 13, 0, unknown: 5),
                exams: .init(primary: Exam(.us, .pelvis), mix: Weighted([
                    Exam(.ct, .abdomen): 40, Exam(.ct, .chest): 25, Exam(.us, .pelvis): 20, Exam(.dx, .chest): 10,
                    Exam(.mr, .abdomen): 5,
                ]))
            )
        case .kidney:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 64, below: 11, above: 10, range: 20...98),
                stages: stageMix(50, 12, 17, 15, unknown: 6),
                exams: .init(primary: Exam(.ct, .kidney), mix: Weighted([
                    Exam(.ct, .abdomen): 35, Exam(.ct, .kidney): 20, Exam(.ct, .chest): 20, Exam(.us, .kidney): 15,
                    Exam(.mr, .kidney): 10,
                ]))
            )
        case .bladder:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 72, below: 10, above: 9, range: 30...99),
                stages: stageMix(45, 18, 12, 10, unknown: 15),
                exams: .init(primary: Exam(.ct, .abdomen), mix: Weighted([
                    Exam(.ct, .abdomen): 35, Exam(.ct, .pelvis): 20, Exam(.mr, .pelvis): 20, Exam(.ct, .chest): 15,
                    Exam(.us, .pelvis): 10,
                ]))
            )
        case .eye:
            // In adults uveal melanoma: ocular ultrasound and MR, then liver surveillance.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 62, below: 13, above: 11, range: 18...95),
                stages: stageMix(40, 30, 15, 5, unknown: 10),
                exams: .init(primary: Exam(.us, .head), mix: Weighted([
                    Exam(.mr, .head): 35, Exam(.us, .head): 35, Exam(.mr, .liver): 15, Exam(.us, .liver): 10,
                    Exam(.ct, .chest): 5,
                ]))
            )
        case .brain:
            // CNS tumours are graded, not TNM-staged, so the stage is mostly unknown.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 60, below: 15, above: 11, range: 18...95),
                stages: stageMix(2, 3, 2, 3, unknown: 90),
                exams: .init(primary: Exam(.mr, .brain), mix: Weighted([
                    Exam(.mr, .brain): 75, Exam(.ct, .head): 12, Exam(.mr, .head): 8, Exam(.pt, .brain): 3,
                    Exam(.mr, .spine): 2,
                ]))
            )
        case .thyroid:
            // Differentiated thyroid cancer: ultrasound, then radioiodine scintigraphy.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 48, below: 14, above: 15, range: 18...95),
                stages: stageMix(65, 12, 6, 5, unknown: 12),
                exams: .init(primary: Exam(.us, .headNeck), mix: Weighted([
                    Exam(.us, .headNeck): 50, Exam(.nm, .wholeBody): 20, Exam(.ct, .headNeck): 10, Exam(.nm, .headNeck): 10,
                    Exam(.ct, .chest): 10,
                ]))
            )
        case .adrenal:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 52, below: 15, above: 14, range: 18...90),
                stages: stageMix(20, 25, 15, 25, unknown: 15),
                exams: .init(primary: Exam(.ct, .abdomen), mix: Weighted([
                    Exam(.ct, .abdomen): 60, Exam(.mr, .abdomen): 20, Exam(.ct, .chest): 10, Exam(.pt, .wholeBody): 10,
                ]))
            )
        case .hodgkinLymphoma:
            // Hodgkin lymphoma is most common in young adults; FDG PET-CT stages it.
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 32, below: 10, above: 20, range: 18...95),
                stages: stageMix(15, 38, 17, 22, unknown: 8),
                exams: .init(primary: Exam(.pt, .wholeBody), mix: Weighted([
                    Exam(.pt, .wholeBody): 40, Exam(.ct, .chest): 25, Exam(.ct, .abdomen): 15, Exam(.ct, .headNeck): 10,
                    Exam(.dx, .chest): 10,
                ]))
            )
        case .diffuseLymphoma:
            Self(
                diagnosis: diagnosis, age: AgeModel(mode: 66, below: 14, above: 11, range: 18...99),
                stages: stageMix(15, 20, 15, 40, unknown: 10),
                exams: .init(primary: Exam(.pt, .wholeBody), mix: Weighted([
                    Exam(.pt, .wholeBody): 35, Exam(.ct, .chest): 25, Exam(.ct, .abdomen): 25, Exam(.ct, .headNeck): 10,
                    Exam(.us, .headNeck): 5,
                ]))
            )
        }
    }

    // Children (ages 0-18). Paediatric imaging keeps radiation low (ALARA): ultrasound
    // and MR where they answer the question, CT mostly for the lungs.

    /// Childhood CNS tumours, spread over childhood with a peak in the early school years.
    static let childBrain = Self(
        diagnosis: .brain, age: AgeModel(mode: 6, below: 4, above: 5, range: 0...18.9),
        stages: stageMix(3, 2, 2, 5, unknown: 88),
        exams: .init(primary: Exam(.mr, .brain), mix: Weighted([
            Exam(.mr, .brain): 75, Exam(.mr, .spine): 12, Exam(.ct, .head): 6, Exam(.us, .head): 4, Exam(.pt, .brain): 3,
        ]))
    )

    /// Neuroblastoma: median age ~18 months, ~90% under 5, about half metastatic (stage 4)
    /// at diagnosis; MIBG scintigraphy stages it.
    static let neuroblastoma = Self(
        diagnosis: .adrenal, age: AgeModel(mode: 1.2, below: 1, above: 2.5, range: 0...12),
        stages: stageMix(15, 12, 15, 48, unknown: 10),
        exams: .init(primary: Exam(.us, .abdomen), mix: Weighted([
            Exam(.mr, .abdomen): 30, Exam(.us, .abdomen): 25, Exam(.nm, .wholeBody): 25, Exam(.ct, .abdomen): 8,
            Exam(.ct, .chest): 4, Exam(.dx, .chest): 4, Exam(.pt, .wholeBody): 4,
        ]))
    )

    /// Wilms tumour: median age ~3.5 years; chest CT looks for lung metastases.
    static let wilms = Self(
        diagnosis: .kidney, age: AgeModel(mode: 3.2, below: 1.5, above: 2.2, range: 0...15),
        stages: stageMix(40, 22, 22, 12, unknown: 4),
        exams: .init(primary: Exam(.us, .abdomen), mix: Weighted([
            Exam(.us, .kidney): 30, Exam(.mr, .abdomen): 25, Exam(.ct, .chest): 15, Exam(.us, .abdomen): 10,
            Exam(.ct, .abdomen): 10, Exam(.dx, .chest): 10,
        ]))
    )

    /// Retinoblastoma: median age ~2 years, nearly all under 5, mostly intraocular; no CT,
    /// since carriers of RB1 mutations are radiation-sensitive.
    static let retinoblastoma = Self(
        diagnosis: .eye, age: AgeModel(mode: 1.5, below: 1, above: 1.2, range: 0...6),
        stages: stageMix(65, 15, 8, 4, unknown: 8),
        exams: .init(primary: Exam(.us, .head), mix: Weighted([
            Exam(.us, .head): 40, Exam(.mr, .head): 35, Exam(.mr, .brain): 25,
        ]))
    )

    /// Osteosarcoma and Ewing sarcoma peak with the adolescent growth spurt; about a
    /// quarter have metastases (mostly lung) at diagnosis.
    static let boneSarcoma = Self(
        diagnosis: .bone, age: AgeModel(mode: 14, below: 3.2, above: 2.4, range: 3...18.9),
        stages: stageMix(10, 55, 5, 22, unknown: 8),
        exams: .init(primary: Exam(.dx, .extremity), mix: Weighted([
            Exam(.mr, .extremity): 40, Exam(.ct, .chest): 20, Exam(.dx, .extremity): 20, Exam(.nm, .wholeBody): 8,
            Exam(.pt, .wholeBody): 7, Exam(.mr, .wholeBody): 5,
        ]))
    )

    /// Rhabdomyosarcoma: mostly young children; head and neck, genitourinary and limbs.
    static let rhabdomyosarcoma = Self(
        diagnosis: .softTissue, age: AgeModel(mode: 5, below: 3, above: 5, range: 0...18.9),
        stages: stageMix(25, 20, 30, 17, unknown: 8),
        exams: .init(primary: Exam(.mr, .pelvis), mix: Weighted([
            Exam(.mr, .headNeck): 20, Exam(.mr, .pelvis): 20, Exam(.mr, .extremity): 15, Exam(.ct, .chest): 15,
            Exam(.pt, .wholeBody): 15, Exam(.us, .abdomen): 10, Exam(.us, .pelvis): 5,
        ]))
    )

    /// Hodgkin lymphoma in children is an adolescent disease.
    static let childHodgkin = Self(
        diagnosis: .hodgkinLymphoma, age: AgeModel(mode: 15, below: 2.8, above: 2.5, range: 4...18.9),
        stages: stageMix(12, 45, 18, 20, unknown: 5),
        exams: .init(primary: Exam(.pt, .wholeBody), mix: Weighted([
            Exam(.pt, .wholeBody): 35, Exam(.ct, .chest): 15, Exam(.us, .headNeck): 15, Exam(.dx, .chest): 15,
            Exam(.mr, .wholeBody): 10, Exam(.us, .abdomen): 10,
        ]))
    )

    /// Non-Hodgkin lymphoma in children (Burkitt, lymphoblastic) is usually advanced.
    static let childLymphoma = Self(
        diagnosis: .diffuseLymphoma, age: AgeModel(mode: 9, below: 4, above: 5, range: 1...18.9),
        stages: stageMix(8, 25, 40, 20, unknown: 7),
        exams: .init(primary: Exam(.us, .abdomen), mix: Weighted([
            Exam(.pt, .wholeBody): 25, Exam(.us, .abdomen): 20, Exam(.ct, .chest): 15, Exam(.mr, .abdomen): 15,
            Exam(.us, .headNeck): 15, Exam(.dx, .chest): 10,
        ]))
    )

    /// Thyroid cancer in adolescents: rare, and stage I-II by definition under 55 (AJCC 8).
    static let childThyroid = Self(
        diagnosis: .thyroid, age: AgeModel(mode: 15.5, below: 2, above: 2, range: 8...18.9),
        stages: stageMix(80, 10, 0, 0, unknown: 10),
        exams: .init(primary: Exam(.us, .headNeck), mix: Weighted([
            Exam(.us, .headNeck): 60, Exam(.nm, .wholeBody): 25, Exam(.nm, .headNeck): 10, Exam(.dx, .chest): 5,
        ]))
    )

    /// Testicular germ-cell tumours: a few in adolescents (and infants).
    static let germCell = Self(
        diagnosis: .testis, age: AgeModel(mode: 16, below: 4, above: 1.8, range: 0...18.9),
        stages: stageMix(70, 15, 10, 0, unknown: 5),
        exams: .init(primary: Exam(.us, .pelvis), mix: Weighted([
            Exam(.us, .pelvis): 40, Exam(.mr, .abdomen): 25, Exam(.ct, .chest): 20, Exam(.dx, .chest): 15,
        ]))
    )
}
