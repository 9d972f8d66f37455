import MeshCore

/// The kind of centre a synthetic site imitates.
///
/// Real centres differ in whom they treat and how they image them, and the federation has
/// to cope with that (docs/ARCHITECTURE.md, "Data model"): a children's hospital sees embryonal
/// tumours imaged with ultrasound and MR, a urology centre is mostly prostate cancer, and
/// rare cancers make the small cells that the disclosure thresholds exist for. A profile
/// fixes the case mix, the age structure, how much follow-up imaging a patient gets, the
/// years the digital archive covers and the scanner fleet.
enum SiteProfile: String, CaseIterable, Sendable {
    /// A general hospital's cancer centre: a broad adult case mix roughly in proportion to
    /// European incidence (breast, lung, prostate and colorectal first) with a handful of
    /// rare cancers (thyroid, testis, eye, bone, adrenal).
    case general
    /// A urology centre: four fifths prostate cancer, then bladder, kidney and testis.
    case prostate
    /// A breast unit: almost only breast cancer, imaged mostly by mammography and ultrasound.
    case breast
    /// A children's hospital: CNS tumours, neuroblastoma, Wilms tumour, sarcomas, lymphoma
    /// and retinoblastoma, all under 19, imaged with ultrasound and MR rather than CT.
    case paediatric
    /// A thoracic centre: lung cancer, with oesophageal cancer and mediastinal lymphoma.
    case lung

    /// Starts every pseudonym, so that files of different synthetic sites never share one.
    var pseudonymPrefix: String {
        switch self {
        case .general: "GEN-"
        case .prostate: "PRO-"
        case .breast: "BRE-"
        case .paediatric: "PAE-"
        case .lung: "LNG-"
        }
    }
}

/// The `cases` table of a synthetic site: one row per imaging study, in the reference data
/// dictionary (`Schema.reference`), for demos, tests and benchmarks without patient data.
///
/// It is a pure function of (profile, subjects, seed): all randomness comes from
/// `MeshCore.SeededRandom` and nothing reads the clock, so the same inputs give the same
/// rows on every run. Each subject draws from a generator of its own, derived from the seed
/// and the subject's number, so a larger site with the same seed extends a smaller one
/// instead of reshuffling it.
///
/// Subjects are produced one at a time and the CSV is handed to the caller in bounded
/// chunks, so a site of millions of studies never sits in memory as a whole.
struct SyntheticSite: Sendable {
    /// Subject counts a site may have: at least one, and few enough that the file stays
    /// in the low gigabytes.
    static let subjectLimits = 1...10_000_000

    /// The CSV header: the reference schema's attributes, in its order.
    static let csvHeader =
        "subject_id,sex,age_at_diagnosis,diagnosis,tumour_stage,modality,body_part,manufacturer,study_year,slice_thickness_mm,image_count"

    /// The last year any study is dated; fixed rather than read from the clock so that
    /// output does not change with the date it is generated on.
    static let lastStudyYear = 2025

    let profile: SiteProfile
    let subjects: Int
    let seed: UInt64

    init(profile: SiteProfile, subjects: Int, seed: UInt64) {
        precondition(subjects >= 0, "a site cannot have \(subjects) subjects")
        self.profile = profile
        self.subjects = subjects
        self.seed = seed
    }

    /// The subject-level attributes of one person.
    struct Subject: Sendable, Equatable {
        /// 1-based position in the site; the pseudonym is derived from it.
        let number: Int
        let sex: Sex
        /// Age at diagnosis in tenths of a year: the schema's fixed point (scale 1).
        let ageTenths: Int
        let diagnosis: Diagnosis
        let stage: Stage
    }

    /// The study-level attributes of one imaging study.
    struct Study: Sendable, Equatable {
        let modality: Modality
        let bodyPart: BodyPart
        let manufacturer: Manufacturer
        let year: Int
        /// Slice thickness in hundredths of a millimetre (the schema's scale 2); `nil` where
        /// the study has none (projection images) or its header did not record it.
        let sliceThicknessHundredths: Int?
        let imageCount: Int
    }

    struct Summary: Sendable, Equatable {
        var subjects = 0
        var studies = 0
    }

    /// Digits of the pseudonym's number (`PRO-000123`): six, or more for sites of a million
    /// subjects and up.
    var pseudonymDigits: Int { max(6, String(subjects).count) }

    /// Generates the site subject by subject: `body` gets each subject with all of its
    /// studies, oldest first. The studies array is reused between calls; copy it to keep it.
    @discardableResult
    func forEachSubject(_ body: (Subject, [Study]) throws -> Void) rethrows -> Summary {
        let plan = SitePlan(profile)
        var summary = Summary()
        var studies: [Study] = []
        studies.reserveCapacity(plan.studiesPerSubject.values.max() ?? 1)
        for number in stride(from: 1, through: subjects, by: 1) {
            var random = generator(forSubject: number)
            let subject = plan.drawSubject(number: number, studies: &studies, random: &random)
            try body(subject, studies)
            summary.subjects += 1
            summary.studies += studies.count
        }
        return summary
    }

    /// Writes the site as CSV (header, then one line per study, rows of a subject together)
    /// by handing `write` chunks of about `chunkBytes` bytes.
    @discardableResult
    func writeCSV(chunkBytes: Int = 1 << 16, to write: (ArraySlice<UInt8>) throws -> Void) rethrows -> Summary {
        precondition(chunkBytes > 0, "chunks must hold at least one byte")
        var buffer = CSVBuffer(capacity: chunkBytes + 256)
        buffer.append(Self.csvHeader)
        buffer.endLine()
        let prefix = Array(profile.pseudonymPrefix.utf8)
        let digits = pseudonymDigits
        var subjectFields = CSVBuffer(capacity: 64)
        let summary = try forEachSubject { subject, studies in
            // The subject's columns are the same on each of its rows: encode them once.
            subjectFields.removeAll()
            subjectFields.appendPseudonym(prefix: prefix, number: subject.number, digits: digits)
            subjectFields.separator()
            subjectFields.append(subject.sex.rawValue)
            subjectFields.separator()
            subjectFields.appendFixedPoint(subject.ageTenths, scale: 1)
            subjectFields.separator()
            subjectFields.append(subject.diagnosis.rawValue)
            subjectFields.separator()
            subjectFields.append(subject.stage.rawValue)
            subjectFields.separator()
            for study in studies {
                buffer.append(subjectFields.bytes)
                buffer.append(study.modality.rawValue)
                buffer.separator()
                buffer.append(study.bodyPart.rawValue)
                buffer.separator()
                buffer.append(study.manufacturer.rawValue)
                buffer.separator()
                buffer.appendInteger(study.year)
                buffer.separator()
                if let thickness = study.sliceThicknessHundredths {
                    buffer.appendFixedPoint(thickness, scale: 2)
                }
                buffer.separator()
                buffer.appendInteger(study.imageCount)
                buffer.endLine()
                if buffer.bytes.count >= chunkBytes {
                    try write(buffer.bytes[...])
                    buffer.removeAll()
                }
            }
        }
        if !buffer.bytes.isEmpty {
            try write(buffer.bytes[...])
        }
        return summary
    }

    /// The subject's own generator. `SeededRandom` seeds through SplitMix64, whose streams
    /// for seeds one increment apart overlap, so the subject number is hashed before it is
    /// combined with the site seed.
    private func generator(forSubject number: Int) -> SeededRandom {
        var hash = SeededRandom(seed: UInt64(truncatingIfNeeded: number))
        return SeededRandom(seed: seed ^ hash.next())
    }
}

// MARK: - Codes

extension SyntheticSite {
    /// DICOM PatientSex.
    enum Sex: String, CaseIterable, Sendable {
        case male = "M"
        case female = "F"
        case other = "O"
    }

    /// ICD-10 three-character categories of the reference vocabulary.
    enum Diagnosis: String, CaseIterable, Sendable {
        case oesophagus = "C15"
        case stomach = "C16"
        case colon = "C18"
        case rectum = "C20"
        case liver = "C22"
        case pancreas = "C25"
        case lung = "C34"
        case bone = "C40"
        case melanoma = "C43"
        case softTissue = "C49"
        case breast = "C50"
        case cervix = "C53"
        case ovary = "C56"
        case prostate = "C61"
        case testis = "C62"
        case kidney = "C64"
        case bladder = "C67"
        case eye = "C69"
        case brain = "C71"
        case thyroid = "C73"
        case adrenal = "C74"
        case hodgkinLymphoma = "C81"
        case diffuseLymphoma = "C83"

        /// Share of male patients. Sex-specific organs are exclusive; the others follow
        /// incidence ratios (bladder, liver and oesophagus about 3:1 male, thyroid about
        /// 3:1 female, male breast cancer about 1% of breast cancers).
        var maleFraction: Double {
            switch self {
            case .prostate, .testis: 1
            case .cervix, .ovary: 0
            case .breast: 0.01
            case .oesophagus: 0.75
            case .stomach: 0.64
            case .colon: 0.55
            case .rectum: 0.6
            case .liver: 0.73
            case .pancreas: 0.52
            case .lung: 0.58
            case .bone, .adrenal, .hodgkinLymphoma, .diffuseLymphoma: 0.55
            case .melanoma, .eye: 0.5
            case .softTissue: 0.56
            case .kidney: 0.63
            case .bladder: 0.77
            case .brain: 0.57
            case .thyroid: 0.26
            }
        }
    }

    /// Overall stage group.
    enum Stage: String, CaseIterable, Sendable {
        case i = "I"
        case ii = "II"
        case iii = "III"
        case iv = "IV"
        case unknown
    }

    /// DICOM Modality.
    enum Modality: String, CaseIterable, Sendable {
        case ct = "CT"
        case mr = "MR"
        case pt = "PT"
        case mg = "MG"
        case us = "US"
        case cr = "CR"
        case dx = "DX"
        case nm = "NM"
    }

    /// DICOM BodyPartExamined.
    enum BodyPart: String, CaseIterable, Sendable {
        case breast = "BREAST"
        case prostate = "PROSTATE"
        case chest = "CHEST"
        case abdomen = "ABDOMEN"
        case pelvis = "PELVIS"
        case head = "HEAD"
        case headNeck = "HEADNECK"
        case brain = "BRAIN"
        case liver = "LIVER"
        case kidney = "KIDNEY"
        case spine = "SPINE"
        case extremity = "EXTREMITY"
        case wholeBody = "WHOLEBODY"

        /// Typical scan length in millimetres, which with the slice thickness sets how many
        /// images a cross-sectional series holds.
        var coverageMillimetres: Int {
            switch self {
            case .prostate: 100
            case .brain: 160
            case .head, .breast: 180
            case .kidney: 200
            case .liver: 220
            case .pelvis: 240
            case .headNeck: 280
            case .chest: 330
            case .extremity: 350
            case .abdomen, .spine: 420
            case .wholeBody: 1000
            }
        }
    }

    /// Normalised vendor.
    enum Manufacturer: String, CaseIterable, Sendable {
        case siemens = "SIEMENS"
        case ge = "GE"
        case philips = "PHILIPS"
        case canon = "CANON"
        case fujifilm = "FUJIFILM"
        case hologic = "HOLOGIC"
        case agfa = "AGFA"
        case carestream = "CARESTREAM"
        case unitedImaging = "UNITED_IMAGING"
        case other = "OTHER"
    }

    /// What one study images: a modality on a body part.
    struct Exam: Sendable, Equatable {
        let modality: Modality
        let bodyPart: BodyPart

        init(_ modality: Modality, _ bodyPart: BodyPart) {
            self.modality = modality
            self.bodyPart = bodyPart
        }
    }
}

// MARK: - Distributions

extension SyntheticSite {
    /// A discrete distribution, drawn with one uniform variate and a linear scan (the
    /// tables hold at most a few dozen entries).
    struct Weighted<Value: Sendable>: Sendable {
        let values: [Value]
        private let cumulative: [Double]

        init(_ pairs: KeyValuePairs<Value, Double>) {
            var total = 0.0
            var values: [Value] = []
            var cumulative: [Double] = []
            for (value, weight) in pairs {
                precondition(weight >= 0, "weights cannot be negative")
                total += weight
                values.append(value)
                cumulative.append(total)
            }
            precondition(total > 0, "a distribution needs a positive weight")
            self.values = values
            self.cumulative = cumulative.map { $0 / total }
        }

        func draw(_ random: inout SeededRandom) -> Value {
            let target = random.unitInterval()
            for index in cumulative.indices where target < cumulative[index] {
                return values[index]
            }
            return values[values.count - 1]
        }
    }

    /// Age at diagnosis: a split normal (different spreads below and above the mode, since
    /// cancer ages trail off towards the young) truncated to `range` years.
    struct AgeModel: Sendable {
        let mode: Double
        let below: Double
        let above: Double
        let range: ClosedRange<Double>

        func drawTenths(_ random: inout SeededRandom) -> Int {
            while true {
                let z = random.approximatelyNormal()
                let age = mode + z * (z < 0 ? below : above)
                if range.contains(age) {
                    return Int((age * 10).rounded(.down))
                }
            }
        }
    }

    /// How a cohort is imaged: the exam that usually comes first (the one that finds or
    /// stages the cancer) and the mix of all later studies.
    struct ExamPlan: Sendable {
        let primary: Exam
        let mix: Weighted<Exam>
    }

    /// Patients with one diagnosis at one kind of site.
    struct Cohort: Sendable {
        let diagnosis: Diagnosis
        let age: AgeModel
        let stages: Weighted<Stage>
        let exams: ExamPlan
    }
}

extension SeededRandom {
    /// A uniform double in [0, 1) from the top 53 bits.
    fileprivate mutating func unitInterval() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard-normal approximation: the centred sum of four uniforms (Irwin–Hall),
    /// scaled to unit variance. Plain arithmetic, unlike Box–Muller's log and cosine, so
    /// the output is bit-identical on every platform; bounded at ±3.46, which suits ages.
    fileprivate mutating func approximatelyNormal() -> Double {
        let sum = unitInterval() + unitInterval() + unitInterval() + unitInterval()
        return (sum - 2) * 1.7320508075688772
    }

    /// One of `choices`, uniformly.
    fileprivate mutating func element<T>(of choices: [T]) -> T {
        choices[Int(next() % UInt64(choices.count))]
    }

    /// An integer in `range`, uniformly (modulo bias is negligible for these small ranges).
    fileprivate mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

// MARK: - Site plans

extension SyntheticSite {
    /// Everything a profile fixes.
    struct SitePlan: Sendable {
        let caseMix: Weighted<Cohort>
        /// Studies per subject; skewed, since most patients have a few and some many.
        let studiesPerSubject: Weighted<Int>
        /// First year of the digital archive: older studies were never migrated.
        let archiveStartYear: Int
        let fleet: Fleet

        /// Years between consecutive studies of one patient: staging studies cluster in
        /// the year of diagnosis, follow-up runs over several years.
        static let followUpGapYears = Weighted<Int>([0: 45, 1: 35, 2: 14, 3: 6])

        /// Share of first studies that are the cohort's primary exam rather than any other.
        static let primaryExamShare = 0.8

        func drawSubject(number: Int, studies: inout [Study], random: inout SeededRandom) -> Subject {
            let cohort = caseMix.draw(&random)
            let subject = Subject(
                number: number,
                sex: Self.drawSex(cohort.diagnosis, &random),
                ageTenths: cohort.age.drawTenths(&random),
                diagnosis: cohort.diagnosis,
                stage: cohort.stages.draw(&random)
            )
            studies.removeAll(keepingCapacity: true)
            let count = studiesPerSubject.draw(&random)
            // More patients in recent years, as archives and referrals grow: the square root
            // of a uniform rises linearly.
            let span = Double(SyntheticSite.lastStudyYear - archiveStartYear + 1)
            var year = min(archiveStartYear + Int(span * random.unitInterval().squareRoot()), SyntheticSite.lastStudyYear)
            for index in 0..<count {
                if index > 0 {
                    year += Self.followUpGapYears.draw(&random)
                    // Follow-up is censored at the end of the archive: patients diagnosed
                    // recently have had fewer studies so far.
                    if year > SyntheticSite.lastStudyYear { break }
                }
                let exam = index == 0 && random.unitInterval() < Self.primaryExamShare
                    ? cohort.exams.primary : cohort.exams.mix.draw(&random)
                studies.append(Acquisition.draw(exam, year: year, fleet: fleet, random: &random))
            }
            return subject
        }

        private static func drawSex(_ diagnosis: Diagnosis, _ random: inout SeededRandom) -> Sex {
            let male = diagnosis.maleFraction
            // PACS hold a few "O" (other) entries, but never for sex-specific organs.
            if male > 0.02, male < 0.98, random.unitInterval() < 0.001 {
                return .other
            }
            return random.unitInterval() < male ? .male : .female
        }

        init(caseMix: Weighted<Cohort>, studiesPerSubject: Weighted<Int>, archiveStartYear: Int, fleet: Fleet) {
            self.caseMix = caseMix
            self.studiesPerSubject = studiesPerSubject
            self.archiveStartYear = archiveStartYear
            self.fleet = fleet
        }

        init(_ profile: SiteProfile) {
            switch profile {
            case .general:
                // Hospital case mix close to European incidence (ECIS): breast, lung,
                // prostate and colorectal make up half, and the rare cancers a few
                // subjects per thousand.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.breast): 13, Cohort.adult(.lung): 12, Cohort.adult(.prostate): 11,
                        Cohort.adult(.colon): 9, Cohort.adult(.rectum): 5, Cohort.adult(.bladder): 4,
                        Cohort.adult(.melanoma): 4, Cohort.adult(.diffuseLymphoma): 3.5, Cohort.adult(.pancreas): 3.5,
                        Cohort.adult(.kidney): 3.5, Cohort.adult(.stomach): 3, Cohort.adult(.oesophagus): 2,
                        Cohort.adult(.liver): 2, Cohort.adult(.ovary): 2, Cohort.adult(.brain): 2,
                        Cohort.adult(.cervix): 1.5, Cohort.adult(.hodgkinLymphoma): 0.8, Cohort.adult(.softTissue): 0.6,
                        Cohort.adult(.thyroid): 0.25, Cohort.adult(.testis): 0.2, Cohort.adult(.eye): 0.1,
                        Cohort.adult(.bone): 0.1, Cohort.adult(.adrenal): 0.1,
                    ]),
                    studiesPerSubject: Weighted([1: 22, 2: 22, 3: 18, 4: 13, 5: 10, 6: 7, 7: 5, 8: 3]),
                    archiveStartYear: 2005,
                    fleet: .general
                )
            case .prostate:
                // Active surveillance brings repeated prostate MRI.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.prostate): 80, Cohort.adult(.bladder): 9, Cohort.adult(.kidney): 7,
                        Cohort.adult(.testis): 2.5, Cohort.adult(.rectum): 0.6, Cohort.adult(.adrenal): 0.6,
                    ]),
                    studiesPerSubject: Weighted([1: 15, 2: 20, 3: 20, 4: 15, 5: 12, 6: 8, 7: 6, 8: 4]),
                    archiveStartYear: 2008,
                    fleet: .prostate
                )
            case .breast:
                // Screening, diagnostic work-up and annual surveillance mammography.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.breast): 90, Cohort.adult(.ovary): 4, Cohort.adult(.cervix): 1.2,
                        Cohort.adult(.diffuseLymphoma): 0.8, Cohort.adult(.softTissue): 0.6, Cohort.adult(.melanoma): 0.6,
                        Cohort.adult(.thyroid): 0.4,
                    ]),
                    studiesPerSubject: Weighted([1: 10, 2: 15, 3: 18, 4: 17, 5: 14, 6: 11, 7: 8, 8: 7]),
                    archiveStartYear: 2005,
                    fleet: .breast
                )
            case .paediatric:
                // Childhood cancer registries: CNS tumours are the largest solid group,
                // then lymphoma, neuroblastoma, sarcomas and Wilms; leukaemia, the most
                // common, is not an imaging cohort. Children are followed up for years.
                self.init(
                    caseMix: Weighted([
                        Cohort.childBrain: 28, Cohort.neuroblastoma: 13, Cohort.childHodgkin: 12,
                        Cohort.boneSarcoma: 12, Cohort.wilms: 10, Cohort.rhabdomyosarcoma: 10,
                        Cohort.childLymphoma: 8, Cohort.retinoblastoma: 5, Cohort.childThyroid: 1.2,
                        Cohort.germCell: 0.8,
                    ]),
                    studiesPerSubject: Weighted([1: 5, 2: 9, 3: 12, 4: 14, 5: 15, 6: 16, 7: 15, 8: 14]),
                    archiveStartYear: 2006,
                    fleet: .paediatric
                )
            case .lung:
                // CT surveillance after treatment makes thoracic patients image-heavy.
                self.init(
                    caseMix: Weighted([
                        Cohort.adult(.lung): 84, Cohort.adult(.oesophagus): 6, Cohort.adult(.diffuseLymphoma): 3,
                        Cohort.adult(.hodgkinLymphoma): 2, Cohort.adult(.melanoma): 1.5, Cohort.adult(.softTissue): 1,
                        Cohort.adult(.thyroid): 0.6, Cohort.adult(.testis): 0.3,
                    ]),
                    studiesPerSubject: Weighted([1: 10, 2: 14, 3: 16, 4: 16, 5: 14, 6: 12, 7: 10, 8: 8]),
                    archiveStartYear: 2010,
                    fleet: .lung
                )
            }
        }
    }
}

// MARK: - Cohorts

extension SyntheticSite.Cohort {
    // Extensions of a nested type do not see its siblings by their short names.
    typealias Exam = SyntheticSite.Exam
    typealias AgeModel = SyntheticSite.AgeModel
    typealias Weighted<Value: Sendable> = SyntheticSite.Weighted<Value>

    /// Shares diagnosed at stage I, II, III and IV, and without a recorded stage.
    private static func stageMix(_ i: Double, _ ii: Double, _ iii: Double, _ iv: Double, unknown: Double) -> Weighted<SyntheticSite.Stage> {
        Weighted([.i: i, .ii: ii, .iii: iii, .iv: iv, .unknown: unknown])
    }

    /// Adult patients with `diagnosis`. Ages loosely follow registry medians at diagnosis
    /// (SEER/ECIS), stages the share diagnosed at each stage, and exams the usual pathway
    /// (e.g. mpMRI then PSMA PET for prostate, mammography then ultrasound for breast).
    static func adult(_ diagnosis: SyntheticSite.Diagnosis) -> Self {
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

// MARK: - Scanner fleets

extension SyntheticSite {
    /// The vendors a site's studies come from. Sites buy from few vendors and replace
    /// CT and MR scanners about every ten years, sometimes switching vendor; mammography
    /// is mostly Hologic everywhere, radiography mostly Agfa, Carestream and Fujifilm.
    struct Fleet: Sendable {
        let ct: Weighted<Manufacturer>
        let mr: Weighted<Manufacturer>
        /// PET and gamma cameras.
        let nuclear: Weighted<Manufacturer>
        let mammography: Weighted<Manufacturer>
        let radiography: Weighted<Manufacturer>
        let ultrasound: Weighted<Manufacturer>
        /// The year CT and MR were replaced, and the vendors since.
        let renewal: (year: Int, ct: Weighted<Manufacturer>, mr: Weighted<Manufacturer>)

        /// Share of studies imported from other hospitals, whose vendor names the
        /// normalisation does not recognise.
        static let importedShare = 0.025

        func manufacturer(for modality: Modality, year: Int, random: inout SeededRandom) -> Manufacturer {
            if random.unitInterval() < Self.importedShare {
                return .other
            }
            let renewed = year >= renewal.year
            return switch modality {
            case .ct: (renewed ? renewal.ct : ct).draw(&random)
            case .mr: (renewed ? renewal.mr : mr).draw(&random)
            case .pt, .nm: nuclear.draw(&random)
            case .mg: mammography.draw(&random)
            case .cr, .dx: radiography.draw(&random)
            case .us: ultrasound.draw(&random)
            }
        }

        private static let hologicMammography = Weighted<Manufacturer>([.hologic: 75, .ge: 12, .siemens: 8, .fujifilm: 5])

        /// Mostly Siemens, then a partial move to Canon and United Imaging CT.
        static let general = Fleet(
            ct: Weighted([.siemens: 60, .ge: 20, .philips: 12, .canon: 8]),
            mr: Weighted([.siemens: 65, .philips: 25, .ge: 10]),
            nuclear: Weighted([.siemens: 70, .ge: 30]),
            mammography: hologicMammography,
            radiography: Weighted([.agfa: 45, .carestream: 25, .fujifilm: 20, .siemens: 10]),
            ultrasound: Weighted([.philips: 35, .ge: 30, .siemens: 20, .canon: 15]),
            renewal: (2017, Weighted([.siemens: 55, .canon: 25, .unitedImaging: 10, .ge: 10]), Weighted([.siemens: 70, .philips: 30]))
        )

        /// GE and Philips; transrectal ultrasound probes from specialist vendors show as OTHER.
        static let prostate = Fleet(
            ct: Weighted([.ge: 55, .philips: 35, .siemens: 10]),
            mr: Weighted([.ge: 50, .philips: 45, .siemens: 5]),
            nuclear: Weighted([.ge: 60, .philips: 25, .siemens: 15]),
            mammography: hologicMammography,
            radiography: Weighted([.carestream: 60, .philips: 40]),
            ultrasound: Weighted([.ge: 45, .philips: 35, .other: 20]),
            renewal: (2019, Weighted([.philips: 55, .ge: 45]), Weighted([.philips: 60, .ge: 40]))
        )

        /// Hologic mammography, Philips MR replaced by Siemens.
        static let breast = Fleet(
            ct: Weighted([.siemens: 60, .philips: 40]),
            mr: Weighted([.philips: 55, .siemens: 30, .ge: 15]),
            nuclear: Weighted([.siemens: 100]),
            mammography: Weighted([.hologic: 72, .fujifilm: 14, .ge: 9, .siemens: 5]),
            radiography: Weighted([.fujifilm: 70, .agfa: 30]),
            ultrasound: Weighted([.siemens: 40, .ge: 35, .canon: 25]),
            renewal: (2015, Weighted([.siemens: 100]), Weighted([.siemens: 70, .philips: 30]))
        )

        /// Philips and Siemens, Canon ultrasound.
        static let paediatric = Fleet(
            ct: Weighted([.philips: 55, .siemens: 35, .canon: 10]),
            mr: Weighted([.philips: 60, .siemens: 40]),
            nuclear: Weighted([.ge: 60, .siemens: 40]),
            mammography: hologicMammography,
            radiography: Weighted([.carestream: 55, .agfa: 45]),
            ultrasound: Weighted([.philips: 50, .canon: 30, .ge: 20]),
            renewal: (2018, Weighted([.siemens: 50, .philips: 40, .canon: 10]), Weighted([.philips: 45, .siemens: 55]))
        )

        /// Canon CT, later partly United Imaging.
        static let lung = Fleet(
            ct: Weighted([.canon: 45, .siemens: 35, .ge: 20]),
            mr: Weighted([.siemens: 60, .ge: 40]),
            nuclear: Weighted([.ge: 55, .siemens: 45]),
            mammography: hologicMammography,
            radiography: Weighted([.agfa: 50, .fujifilm: 30, .carestream: 20]),
            ultrasound: Weighted([.ge: 60, .philips: 40]),
            renewal: (2020, Weighted([.unitedImaging: 30, .siemens: 40, .canon: 30]), Weighted([.siemens: 65, .ge: 35]))
        )
    }
}

// MARK: - Acquisition

extension SyntheticSite {
    /// Slice thickness and image count of one study, which depend on the modality, the
    /// body part, the scanner and the year.
    enum Acquisition {
        /// Share of cross-sectional studies whose header lacks the slice thickness
        /// (secondary captures, reformats, imported studies).
        static let missingThicknessShare = 0.03
        /// Share of nuclear-medicine studies that are SPECT rather than planar scans.
        static let spectShare = 0.25

        /// Mammograms: two views (CC and MLO) of each breast; one side after a
        /// mastectomy; sometimes extra views.
        private static let mammographyImages = Weighted<Int>([4: 80, 2: 5, 5: 7, 6: 5, 8: 3])
        /// Chest radiographs: PA, often with a lateral.
        private static let chestRadiographImages = Weighted<Int>([1: 45, 2: 50, 3: 5])
        /// Limb radiographs: usually two perpendicular views.
        private static let otherRadiographImages = Weighted<Int>([1: 10, 2: 60, 3: 30])

        static func draw(_ exam: Exam, year: Int, fleet: Fleet, random: inout SeededRandom) -> Study {
            let manufacturer = fleet.manufacturer(for: exam.modality, year: year, random: &random)
            let thickness: Int?
            let images: Int
            switch exam.modality {
            case .ct:
                thickness = recorded(ctThickness(manufacturer, year: year, random: &random), random: &random)
                // Thin and thick reconstructions, plus one or two scout images.
                let reconstructions = 1 + random.integer(in: 0...3)
                images = (slices(exam.bodyPart, thickness) * reconstructions + random.integer(in: 1...2)).clamped(to: 100...1500)
            case .mr:
                thickness = recorded(random.element(of: mrThicknesses(exam.bodyPart)), random: &random)
                var count = slices(exam.bodyPart, thickness) * random.integer(in: 4...12)
                // Dynamic contrast series repeat the volume many times.
                if exam.bodyPart == .breast || exam.bodyPart == .prostate || exam.bodyPart == .liver {
                    count += slices(exam.bodyPart, thickness) * random.integer(in: 5...30)
                }
                images = count.clamped(to: 100...3000)
            case .pt:
                // Thinner reconstructions on newer (digital) PET.
                let thinner = year >= 2015 && random.unitInterval() < 0.7
                thickness = recorded(random.element(of: thinner ? [200, 250, 300] : [300, 327, 400, 500]), random: &random)
                // Attenuation-corrected and often also uncorrected images.
                let series = random.unitInterval() < 0.6 ? 2 : 1
                images = (slices(exam.bodyPart, thickness) * series).clamped(to: 200...800)
            case .nm:
                if random.unitInterval() < spectShare {
                    thickness = recorded(random.element(of: [240, 330, 442, 480]), random: &random)
                    images = random.integer(in: 60...256)
                } else {
                    // Planar scintigraphy (whole-body bone or MIBG scan): anterior and
                    // posterior views and a few spot views; no slices.
                    thickness = nil
                    images = random.integer(in: 2...10)
                }
            case .mg:
                thickness = nil
                images = mammographyImages.draw(&random)
            case .cr, .dx:
                thickness = nil
                images = (exam.bodyPart == .chest ? chestRadiographImages : otherRadiographImages).draw(&random)
            case .us:
                thickness = nil
                let spread = random.unitInterval()
                images = 6 + Int(50 * spread * spread)
            }
            return Study(
                modality: exam.modality, bodyPart: exam.bodyPart, manufacturer: manufacturer,
                year: year, sliceThicknessHundredths: thickness, imageCount: images
            )
        }

        /// `thickness`, or `nil` for the few studies whose header did not record it.
        private static func recorded(_ thickness: Int, random: inout SeededRandom) -> Int? {
            random.unitInterval() < missingThicknessShare ? nil : thickness
        }

        /// Slices of one series over the body part; 3 mm assumed where unrecorded.
        private static func slices(_ bodyPart: BodyPart, _ thicknessHundredths: Int?) -> Int {
            bodyPart.coverageMillimetres * 100 / (thicknessHundredths ?? 300)
        }

        /// CT reconstruction thickness in hundredths of a millimetre. Each vendor has its
        /// own set (GE's 1.25/2.5/3.75/5, Siemens' 0.6/0.75/1/1.5/3/5, ...); older studies
        /// were mostly archived thick, newer ones thin.
        private static func ctThickness(_ manufacturer: Manufacturer, year: Int, random: inout SeededRandom) -> Int {
            let choices: [Int] = switch manufacturer {
            case .siemens: [60, 75, 100, 150, 300, 500]
            case .ge: [125, 250, 375, 500]
            case .philips: [67, 90, 100, 200, 300, 500]
            case .canon: [50, 100, 200, 300, 500]
            case .unitedImaging: [50, 100, 150, 300, 500]
            default: [100, 200, 300, 500]
            }
            let thin = random.unitInterval() < (year >= 2013 ? 0.75 : 0.35)
            let half = choices.count / 2
            return choices[thin ? random.integer(in: 0...half - 1) : random.integer(in: half...choices.count - 1)]
        }

        /// MR slice thickness by body part: 3D sequences at ~1 mm for brain and breast,
        /// 3 mm T2 for the prostate (PI-RADS), 4-6 mm for the body.
        private static func mrThicknesses(_ bodyPart: BodyPart) -> [Int] {
            switch bodyPart {
            case .brain, .head: [100, 100, 300, 400, 500]
            case .prostate: [300, 300, 350, 400]
            case .breast: [100, 150, 200, 300]
            case .headNeck: [200, 300, 400]
            case .spine: [300, 400]
            case .pelvis, .extremity: [300, 400, 500]
            case .abdomen, .liver, .kidney: [300, 400, 500, 600]
            case .chest, .wholeBody: [400, 500, 600]
            }
        }
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self {
        min(max(self, range.lowerBound), range.upperBound)
    }
}

// MARK: - CSV encoding

extension SyntheticSite {
    /// ASCII bytes of CSV lines, with integers and fixed-point numbers written digit by
    /// digit: formatting through `String` would allocate for every field.
    struct CSVBuffer {
        private(set) var bytes: [UInt8]

        init(capacity: Int) {
            bytes = []
            bytes.reserveCapacity(capacity)
        }

        mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
        mutating func separator() { bytes.append(UInt8(ascii: ",")) }
        mutating func endLine() { bytes.append(UInt8(ascii: "\n")) }
        mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
        mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

        mutating func appendPseudonym(prefix: [UInt8], number: Int, digits: Int) {
            bytes.append(contentsOf: prefix)
            appendInteger(number, minimumDigits: digits)
        }

        /// A non-negative integer in decimal, zero-padded to `minimumDigits`.
        mutating func appendInteger(_ value: Int, minimumDigits: Int = 1) {
            precondition(value >= 0, "only non-negative numbers are written")
            var count = 1
            var rest = value
            while rest >= 10 {
                rest /= 10
                count += 1
            }
            count = max(count, minimumDigits)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
            rest = value
            var index = bytes.count - 1
            while rest > 0 {
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                index -= 1
            }
        }

        /// A fixed-point value (`value` / 10^scale) with trailing fractional zeros dropped:
        /// 125 at scale 2 is "1.25", 500 is "5", 634 at scale 1 is "63.4".
        mutating func appendFixedPoint(_ value: Int, scale: Int) {
            var factor = 1
            for _ in 0..<scale { factor *= 10 }
            appendInteger(value / factor)
            var fraction = value % factor
            guard fraction != 0 else { return }
            var digits = scale
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            bytes.append(UInt8(ascii: "."))
            appendInteger(fraction, minimumDigits: digits)
        }
    }
}
