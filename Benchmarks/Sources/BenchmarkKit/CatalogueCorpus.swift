import MeshCore

/// Deterministic text shaped like what OncoMesh nodes store and exchange: CSV blocks of
/// partial aggregation results (diagnosis codes, modalities, age bands, counts, suppressed
/// cells) alternating with JSON lines of capability-catalogue entries.
///
/// Compression figures depend on the data more than on anything else, so the benchmark
/// input has to look like the real traffic: a few frequent categorical values, many distinct
/// numbers, repeated keys. Values follow skewed weights (breast and prostate cancer are far
/// more common than brain tumours; CT dominates imaging), not uniform draws, which would make
/// the text less compressible than real catalogues and partials.
///
/// The same seed and size give the same bytes on every machine and toolchain: draws use
/// ``SeededRandom`` and plain modulo arithmetic, never the standard library's
/// `random(in:using:)`, whose algorithm is not promised to stay the same.
public struct CatalogueCorpus {
    /// The seed of the published results (RESULTS.md).
    public static let defaultSeed: UInt64 = 0x0C0_3E5B

    private var random: SeededRandom
    private var output: [UInt8] = []

    private init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    /// Exactly `bytes` bytes of corpus text (the last line is cut off at the limit).
    public static func generate(bytes: Int, seed: UInt64 = defaultSeed) -> [UInt8] {
        precondition(bytes >= 0, "a corpus cannot have a negative size")
        var corpus = CatalogueCorpus(seed: seed)
        corpus.output.reserveCapacity(bytes + 4096)
        var section = 0
        while corpus.output.count < bytes {
            let rows = 40 + corpus.draw(200)
            corpus.appendPartialResults(section: section, rows: rows)
            let entries = 5 + corpus.draw(30)
            corpus.appendCatalogueEntries(count: entries)
            section += 1
        }
        return Array(corpus.output.prefix(bytes))
    }

    // MARK: Vocabulary

    private static let sites = [
        "hospital-a", "hospital-b", "univ-clinic-leiden", "registry-nord", "imaging-archive-3",
        "cancer-centre-lyon", "charite-rad", "karolinska-onc",
    ]
    /// ICD-10 C codes with rough relative frequencies among imaged cancer patients.
    private static let diagnoses: [(code: String, weight: Int)] = [
        ("C50", 28), ("C61", 18), ("C34", 16), ("C18", 8), ("C20", 5), ("C43", 5), ("C67", 4),
        ("C64", 4), ("C25", 3), ("C22", 3), ("C56", 2), ("C71", 2), ("C73", 1), ("C16", 1),
    ]
    private static let modalities: [(code: String, weight: Int)] = [
        ("CT", 35), ("MR", 22), ("MG", 12), ("PT", 9), ("US", 8), ("CR", 6), ("DX", 5), ("NM", 3),
    ]
    private static let bodyParts = ["CHEST", "BREAST", "ABDOMEN", "PELVIS", "HEAD", "WHOLEBODY", "PROSTATE", "LIVER"]
    private static let ageBands = ["18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"]
    private static let sliceThicknesses = ["0.625", "1.0", "1.25", "2.0", "2.5", "3.0", "5.0"]
    private static let attributes = ["diagnosis", "modality", "body_part", "age_band", "sex", "study_year", "treatment_line"]
    /// Cells with fewer distinct persons than this are suppressed (blank counts), as
    /// disclosure control does to real partials.
    private static let kThreshold = 5

    // MARK: Sections

    private mutating func appendPartialResults(section: Int, rows: Int) {
        let site = pick(Self.sites)
        append("# partial q-\(pad(section, 6)) site=\(site) k=\(Self.kThreshold)\n")
        append("site,diagnosis,modality,body_part,sex,age_band,study_year,studies,series,instances,subjects,slice_mm,suppressed\n")
        for _ in 0..<rows {
            let subjects = skewedCount(maximum: 900)
            let studies = subjects + draw(subjects * 2 + 1)
            let series = studies * (1 + draw(8))
            let instances = series * (20 + draw(380))
            let suppressed = subjects < Self.kThreshold
            var line = site
            line += "," + pickWeighted(Self.diagnoses)
            line += "," + pickWeighted(Self.modalities)
            line += "," + pick(Self.bodyParts)
            line += draw(2) == 0 ? ",F" : ",M"
            line += "," + pick(Self.ageBands)
            line += ",\(2012 + draw(13))"
            if suppressed {
                line += ",,,,,,true\n"
            } else {
                line += ",\(studies),\(series),\(instances),\(subjects),\(pick(Self.sliceThicknesses)),false\n"
            }
            append(line)
        }
    }

    private mutating func appendCatalogueEntries(count: Int) {
        for _ in 0..<count {
            let attribute = pick(Self.attributes)
            let code = pickWeighted(Self.diagnoses) + ".\(draw(10))"
            var line = "{\"node\":\"\(pick(Self.sites))\",\"dataset\":\"\(pick(Self.bodyParts).lowercased())-\(2012 + draw(13))\""
            line += ",\"attribute\":\"\(attribute)\",\"code\":\"\(code)\",\"modality\":\"\(pickWeighted(Self.modalities))\""
            line += ",\"studies\":\(skewedCount(maximum: 20_000)),\"k\":\(Self.kThreshold)"
            line += ",\"updated\":\"\(timestamp())\"}\n"
            append(line)
        }
    }

    // MARK: Draws

    /// A uniform draw from `0..<bound` (modulo bias is irrelevant for these small bounds).
    private mutating func draw(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(random.next() % UInt64(bound))
    }

    private mutating func pick(_ values: [String]) -> String {
        values[draw(values.count)]
    }

    private mutating func pickWeighted(_ values: [(code: String, weight: Int)]) -> String {
        var remaining = draw(values.reduce(0) { $0 + $1.weight })
        for value in values {
            if remaining < value.weight { return value.code }
            remaining -= value.weight
        }
        return values[values.count - 1].code
    }

    /// Counts spread over several orders of magnitude, small ones most common, like cell
    /// counts of a cross-tab.
    private mutating func skewedCount(maximum: Int) -> Int {
        let magnitude = 1 + draw(4)
        var limit = 1
        for _ in 0..<magnitude { limit *= 10 }
        return draw(min(limit, maximum) + 1)
    }

    private mutating func timestamp() -> String {
        "\(2023 + draw(3))-\(pad(1 + draw(12), 2))-\(pad(1 + draw(28), 2))T\(pad(draw(24), 2)):\(pad(draw(60), 2)):\(pad(draw(60), 2))Z"
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private mutating func append(_ text: String) {
        output.append(contentsOf: text.utf8)
    }
}
