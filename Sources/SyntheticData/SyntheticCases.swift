import MeshCore


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
public struct SyntheticCases: Sendable {
    /// Subject counts a site may have: at least one, and few enough that the file stays
    /// in the low gigabytes.
    public static let subjectLimits = 1...10_000_000

    /// The CSV header: the reference schema's attributes, in its order.
    public static let csvHeader =
        "subject_id,sex,age_at_diagnosis,diagnosis,tumour_stage,modality,body_part,manufacturer,study_year,slice_thickness_mm,image_count"

    /// The last year any study is dated; fixed rather than read from the clock so that
    /// output does not change with the date it is generated on.
    public static let lastStudyYear = 2025

    public let profile: SiteProfile
    public let subjects: Int
    public let seed: UInt64

    public init(profile: SiteProfile, subjects: Int, seed: UInt64) {
        precondition(subjects >= 0, "a site cannot have \(subjects) subjects")
        self.profile = profile
        self.subjects = subjects
        self.seed = seed
    }

    /// The subject-level attributes of one person.
    public struct Subject: Sendable, Equatable {
        /// 1-based position in the site; the pseudonym is derived from it.
        public let number: Int
        public let sex: Sex
        /// Age at diagnosis in tenths of a year: the schema's fixed point (scale 1).
        public let ageTenths: Int
        public let diagnosis: Diagnosis
        public let stage: Stage
    }

    /// The study-level attributes of one imaging study.
    public struct Study: Sendable, Equatable {
        public let modality: Modality
        public let bodyPart: BodyPart
        public let manufacturer: Manufacturer
        public let year: Int
        /// Slice thickness in hundredths of a millimetre (the schema's scale 2); `nil` where
        /// the study has none (projection images) or its header did not record it.
        public let sliceThicknessHundredths: Int?
        public let imageCount: Int
    }

    public struct Summary: Sendable, Equatable {
        public var subjects = 0
        public var studies = 0
    }

    /// Digits of the pseudonym's number (`PRO-000123`): six, or more for sites of a million
    /// subjects and up.
    public var pseudonymDigits: Int { max(6, String(subjects).count) }

    /// Generates the site subject by subject: `body` gets each subject with all of its
    /// studies, oldest first. The studies array is reused between calls; copy it to keep it.
    @discardableResult
    public func forEachSubject(_ body: (Subject, [Study]) throws -> Void) rethrows -> Summary {
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

    /// The subject's own generator. `SeededRandom` seeds through SplitMix64, whose streams
    /// for seeds one increment apart overlap, so the subject number is hashed before it is
    /// combined with the site seed.
    private func generator(forSubject number: Int) -> SeededRandom {
        var hash = SeededRandom(seed: UInt64(truncatingIfNeeded: number))
        return SeededRandom(seed: seed ^ hash.next())
    }
}
