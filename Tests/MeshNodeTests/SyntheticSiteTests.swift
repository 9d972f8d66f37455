import Foundation
import MeshCore
@testable import SyntheticData
import TestSupport
import Testing

/// The synthetic-site generator behind `meshnode synth`: deterministic, valid against the
/// reference data dictionary, and different per profile the way real centres differ.
@Suite struct SyntheticSiteTests {
    /// The generated CSV, collected in chunks of `chunkBytes`.
    static func csv(_ profile: SiteProfile, subjects: Int, seed: UInt64, chunkBytes: Int = 1 << 16) -> String {
        var bytes: [UInt8] = []
        SyntheticCases(profile: profile, subjects: subjects, seed: seed).writeCSV(chunkBytes: chunkBytes) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A parsed CSV: the header's names and every row as a name-to-field map.
    struct Table {
        let header: [String]
        let rows: [[String: String]]

        init(_ text: String) {
            #expect(text.hasSuffix("\n"), "the file must end with a newline")
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            header = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
            var rows: [[String: String]] = []
            for line in lines.dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                #expect(fields.count == header.count, "line '\(line)' has \(fields.count) fields, the header \(header.count)")
                rows.append(Dictionary(uniqueKeysWithValues: zip(header, fields)))
            }
            self.rows = rows
        }

        /// The first row of each subject, in file order.
        var subjects: [[String: String]] {
            var seen: Set<String> = []
            return rows.filter { seen.insert($0["subject_id"]!).inserted }
        }

        func count(where predicate: ([String: String]) -> Bool) -> Int { rows.count(where: predicate) }
    }

    static func table(_ profile: SiteProfile, subjects: Int, seed: UInt64 = 42) -> Table {
        Table(csv(profile, subjects: subjects, seed: seed))
    }

    // MARK: Determinism

    @Test func theSameSeedGivesTheSameBytesWhateverTheChunkSize() {
        let first = Self.csv(.general, subjects: 300, seed: 7)
        #expect(first == Self.csv(.general, subjects: 300, seed: 7))
        #expect(first == Self.csv(.general, subjects: 300, seed: 7, chunkBytes: 1))
        #expect(first == Self.csv(.general, subjects: 300, seed: 7, chunkBytes: 1000))
    }

    @Test(arguments: SiteProfile.allCases)
    func differentSeedsGiveDifferentSites(_ profile: SiteProfile) {
        #expect(Self.csv(profile, subjects: 100, seed: 1) != Self.csv(profile, subjects: 100, seed: 2))
    }

    /// Each subject has its own generator, so growing a site keeps the subjects it had.
    @Test func aLargerSiteExtendsASmallerOne() {
        let small = Self.csv(.prostate, subjects: 50, seed: 9)
        let large = Self.csv(.prostate, subjects: 120, seed: 9)
        #expect(large.hasPrefix(small))
        #expect(large.count > small.count)
    }

    // MARK: Validity

    @Test func everyCodeTheGeneratorKnowsIsInTheReferenceVocabulary() {
        let schema = Schema.reference
        func vocabulary(_ name: String) -> Set<String> { Set(schema.attribute(named: name)!.vocabulary) }
        #expect(Set(SyntheticCases.Sex.allCases.map(\.rawValue)) == vocabulary("sex"))
        #expect(Set(SyntheticCases.Diagnosis.allCases.map(\.rawValue)) == vocabulary("diagnosis"))
        #expect(Set(SyntheticCases.Stage.allCases.map(\.rawValue)) == vocabulary("tumour_stage"))
        #expect(Set(SyntheticCases.Modality.allCases.map(\.rawValue)) == vocabulary("modality"))
        #expect(Set(SyntheticCases.BodyPart.allCases.map(\.rawValue)) == vocabulary("body_part"))
        #expect(Set(SyntheticCases.Manufacturer.allCases.map(\.rawValue)) == vocabulary("manufacturer"))
    }

    @Test(arguments: SiteProfile.allCases)
    func everyValueIsValidAgainstTheReferenceSchema(_ profile: SiteProfile) throws {
        let schema = Schema.reference
        let table = Self.table(profile, subjects: 800)
        #expect(table.header == schema.attributes.map(\.name))
        #expect(table.header.joined(separator: ",") == SyntheticCases.csvHeader)
        #expect(!table.rows.isEmpty)
        for row in table.rows {
            for attribute in schema.attributes {
                let value = try #require(row[attribute.name])
                if value.isEmpty {
                    #expect(attribute.nullable, "\(attribute.name) is empty but not nullable: \(row)")
                    continue
                }
                switch attribute.type {
                case .key:
                    #expect(value.hasPrefix(profile.pseudonymPrefix), "\(value)")
                case .categorical(let vocabulary):
                    #expect(vocabulary.contains(value), "\(attribute.name) '\(value)' is not in the vocabulary")
                case .numeric(_, let scale, let minimum, let maximum):
                    let number = try #require(Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")), "\(attribute.name) '\(value)'")
                    let decimals = value.split(separator: ".").dropFirst().first?.count ?? 0
                    #expect(decimals <= scale, "\(attribute.name) '\(value)' has more than \(scale) decimals")
                    #expect(!value.hasSuffix(".") && !value.hasPrefix("-") && !value.hasPrefix("+"), "\(value)")
                    if let minimum { #expect(number >= minimum, "\(attribute.name) \(value) < \(minimum)") }
                    if let maximum { #expect(number <= maximum, "\(attribute.name) \(value) > \(maximum)") }
                }
            }
        }
    }

    @Test(arguments: SiteProfile.allCases)
    func subjectLevelAttributesAgreeOnEveryRowAndRowsAreContiguous(_ profile: SiteProfile) {
        let schema = Schema.reference
        let subjectLevel = schema.attributes.filter { $0.level == .subject && $0.type != .key }.map(\.name)
        #expect(Set(subjectLevel) == ["sex", "age_at_diagnosis", "diagnosis", "tumour_stage"])
        let table = Self.table(profile, subjects: 500)
        var finished: Set<String> = []
        var current: [String: String]?
        var years: [Int] = []
        for row in table.rows {
            let id = row["subject_id"]!
            if let previous = current, previous["subject_id"] == id {
                for name in subjectLevel {
                    #expect(row[name] == previous[name], "\(id): \(name) is \(row[name] ?? "") here but \(previous[name] ?? "") before")
                }
                years.append(Int(row["study_year"]!)!)
            } else {
                #expect(years == years.sorted(), "studies of a subject come oldest first")
                if let previous = current { finished.insert(previous["subject_id"]!) }
                #expect(!finished.contains(id), "rows of \(id) are not contiguous")
                current = row
                years = [Int(row["study_year"]!)!]
            }
        }
        #expect(table.subjects.count == 500)
    }

    @Test(arguments: SiteProfile.allCases)
    func subjectsHaveSeveralStudiesOverTwoDecades(_ profile: SiteProfile) {
        let table = Self.table(profile, subjects: 1000)
        var studies: [String: Int] = [:]
        for row in table.rows { studies[row["subject_id"]!, default: 0] += 1 }
        #expect(studies.values.allSatisfy { (1...8).contains($0) })
        let average = Double(table.rows.count) / Double(studies.count)
        #expect(average >= 2.5 && average <= 6, "\(average) studies per subject")
        let years = Set(table.rows.map { Int($0["study_year"]!)! })
        #expect(years.min()! <= 2012 && years.max()! == 2025, "\(years.sorted())")
    }

    /// The rows a node's executor gets are the CSV's rows: the same codes, the numbers at
    /// the schema's scale, NULL where the CSV field is empty.
    @Test(arguments: SiteProfile.allCases)
    func schemaRowsAndSnapshotHoldWhatTheCSVHolds(_ profile: SiteProfile) throws {
        let schema = Schema.reference
        let site = SyntheticCases(profile: profile, subjects: 300, seed: 11)
        let csvRows = Self.table(profile, subjects: 300, seed: 11).rows
        var index = 0
        let summary = try site.forEachSubjectRows { pseudonym, rows in
            for row in rows {
                guard index < csvRows.count else { return }
                let fields = csvRows[index]
                index += 1
                #expect(fields["subject_id"] == pseudonym)
                for (attribute, value) in zip(schema.attributes, row) where attribute.type != .key {
                    let field = fields[attribute.name]!
                    switch value {
                    case .null: #expect(field.isEmpty, "\(attribute.name): '\(field)' is NULL in the row")
                    case .code(let code): #expect(field == code, "\(attribute.name)")
                    case .number(let number):
                        let decimal = try #require(Decimal(string: field, locale: Locale(identifier: "en_US_POSIX")))
                        #expect(decimal == Decimal(number) / pow(10, attribute.scale), "\(attribute.name): \(field) vs \(number)")
                    }
                }
            }
        }
        #expect(index == csvRows.count && summary.studies == csvRows.count)
        let snapshot = site.snapshot()
        #expect(snapshot.rowCount == csvRows.count)
        #expect(snapshot.subjectCount == 300)
    }

    // MARK: Realism

    @Test func aProstateCentreIsMostlyMenWithProstateCancerImagedByMR() {
        let table = Self.table(.prostate, subjects: 2000)
        let subjects = table.subjects
        #expect(subjects.count(where: { $0["diagnosis"] == "C61" }) > subjects.count * 6 / 10)
        #expect(subjects.count(where: { $0["sex"] == "M" }) > subjects.count * 9 / 10)
        #expect(table.count(where: { ["C61", "C62"].contains($0["diagnosis"]) && $0["sex"] != "M" }) == 0)
        let prostate = table.rows.filter { $0["diagnosis"] == "C61" }
        #expect(prostate.count(where: { $0["modality"] == "MR" }) > prostate.count / 2)
        #expect(prostate.count(where: { $0["modality"] == "PT" && $0["body_part"] == "WHOLEBODY" }) > 0)
        let ages = subjects.filter { $0["diagnosis"] == "C61" }.map { Double($0["age_at_diagnosis"]!)! }.sorted()
        let median = ages[ages.count / 2]
        #expect(median > 62 && median < 72, "median age \(median)")
    }

    @Test func aBreastUnitIsMostlyWomenWithBreastCancerImagedByMammography() {
        let table = Self.table(.breast, subjects: 2000)
        let subjects = table.subjects
        #expect(subjects.count(where: { $0["diagnosis"] == "C50" }) > subjects.count * 8 / 10)
        #expect(subjects.count(where: { $0["sex"] == "F" }) > subjects.count * 9 / 10)
        #expect(table.count(where: { ["C53", "C56"].contains($0["diagnosis"]) && $0["sex"] != "F" }) == 0)
        let modalities = Dictionary(grouping: table.rows.filter { $0["diagnosis"] == "C50" }, by: { $0["modality"]! }).mapValues(\.count)
        #expect(modalities["MG", default: 0] > modalities["CT", default: 0] * 2, "\(modalities)")
        #expect(table.rows.filter { $0["modality"] == "MG" }.allSatisfy { $0["body_part"] == "BREAST" })
        let mammograms = table.rows.filter { $0["modality"] == "MG" }
        #expect(mammograms.count(where: { $0["manufacturer"] == "HOLOGIC" }) > mammograms.count / 2)
    }

    @Test func aChildrensHospitalHasOnlyChildrenMostlyYoungAndLittleCT() {
        let table = Self.table(.paediatric, subjects: 2000)
        let ages = table.subjects.map { Double($0["age_at_diagnosis"]!)! }
        #expect(ages.allSatisfy { $0 < 19 }, "\(ages.max()!)")
        #expect(ages.count(where: { $0 < 10 }) > ages.count / 2)
        let diagnoses = Set(table.subjects.map { $0["diagnosis"]! })
        #expect(diagnoses.isSuperset(of: ["C71", "C74", "C64", "C69", "C40", "C81"]), "\(diagnoses.sorted())")
        #expect(table.count(where: { $0["modality"] == "CT" }) < table.rows.count / 5)
        #expect(table.count(where: { $0["modality"] == "US" }) > table.rows.count / 10)
        #expect(table.count(where: { $0["diagnosis"] == "C69" && $0["modality"] == "CT" }) == 0)
    }

    @Test func aThoracicCentreIsDominatedByChestCT() {
        let table = Self.table(.lung, subjects: 2000)
        let subjects = table.subjects
        #expect(subjects.count(where: { $0["diagnosis"] == "C34" }) > subjects.count * 7 / 10)
        let lung = table.rows.filter { $0["diagnosis"] == "C34" }
        let chestCT = lung.count(where: { $0["modality"] == "CT" && $0["body_part"] == "CHEST" })
        #expect(chestCT > lung.count * 4 / 10)
        #expect(lung.count(where: { $0["modality"] == "MR" && $0["body_part"] == "BRAIN" }) > 0)
    }

    @Test func profilesHaveDifferentScannerFleets() {
        func topCTVendor(_ profile: SiteProfile) -> String {
            let ct = Self.table(profile, subjects: 1000).rows.filter { $0["modality"] == "CT" }
            return Dictionary(grouping: ct, by: { $0["manufacturer"]! }).max { $0.value.count < $1.value.count }!.key
        }
        #expect(topCTVendor(.general) != topCTVendor(.prostate))
    }

    /// Rare cancers give the small cells that the disclosure thresholds are there for.
    @Test func aGeneralHospitalHasABroadMixWithAFewRareCancers() {
        let subjects = Self.table(.general, subjects: 2000).subjects
        let counts = Dictionary(grouping: subjects, by: { $0["diagnosis"]! }).mapValues(\.count)
        #expect(counts.count >= 18, "\(counts)")
        let small = counts.filter { (1...9).contains($0.value) }
        #expect(!small.isEmpty, "no diagnosis with 1-9 subjects: \(counts)")
        #expect(small.keys.allSatisfy { ["C40", "C62", "C69", "C73", "C74", "C81", "C49"].contains($0) }, "\(small)")
        let largest = counts.values.max()!
        #expect(largest < subjects.count / 4, "no single cancer dominates a general hospital: \(counts)")
    }

    @Test(arguments: SiteProfile.allCases)
    func sliceThicknessIsAbsentForProjectionImagesAndSometimesMissing(_ profile: SiteProfile) {
        let table = Self.table(profile, subjects: 1500)
        let projection: Set<String> = ["MG", "CR", "DX", "US"]
        #expect(table.rows.filter { projection.contains($0["modality"]!) }.allSatisfy { $0["slice_thickness_mm"] == "" })
        let crossSectional = table.rows.filter { ["CT", "MR", "PT"].contains($0["modality"]!) }
        let missing = crossSectional.count(where: { $0["slice_thickness_mm"] == "" })
        #expect(missing > 0, "some cross-sectional studies lack a recorded thickness")
        #expect(missing < crossSectional.count / 10)
        #expect(table.count(where: { $0["slice_thickness_mm"] == "" }) > 0)
        for row in crossSectional where row["slice_thickness_mm"] != "" {
            let thickness = Double(row["slice_thickness_mm"]!)!
            let range: ClosedRange<Double> = switch row["modality"]! {
            case "CT": 0.5...5
            case "MR": 1...6
            default: 2...5
            }
            #expect(range.contains(thickness), "\(row)")
        }
    }

    @Test func imageCountsFitTheModality() {
        let table = Self.table(.general, subjects: 1500)
        let ranges: [String: ClosedRange<Int>] = [
            "MG": 2...8, "CR": 1...3, "DX": 1...3, "CT": 100...1500, "MR": 100...3000, "PT": 200...800,
        ]
        for row in table.rows {
            guard let range = ranges[row["modality"]!] else { continue }
            #expect(range.contains(Int(row["image_count"]!)!), "\(row)")
        }
        let mammograms = table.rows.filter { $0["modality"] == "MG" }
        #expect(mammograms.count(where: { $0["image_count"] == "4" }) > mammograms.count / 2)
    }

    @Test func numbersUseAtMostTheirScaleAndNoTrailingZeros() {
        var buffer = SyntheticCases.CSVBuffer(capacity: 64)
        for (value, scale) in [(125, 2), (500, 2), (50, 2), (634, 1), (630, 1), (0, 1), (7, 1), (2025, 0)] {
            buffer.appendFixedPoint(value, scale: scale)
            buffer.separator()
        }
        buffer.appendPseudonym(prefix: Array("PRO-".utf8), number: 123, digits: 6)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "1.25,5,0.5,63.4,63,0,0.7,2025,PRO-000123")
    }

    // MARK: Command line

    static var meshnode: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("meshnode").path
    }

    @Test func synthWritesTheSameFileAsTheGeneratorAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let out = directory.file("site.csv")
        let result = try ProcessRunner.run(Self.meshnode, ["synth", "--profile", "paediatric", "--subjects", "250", "--seed", "5", "--out", out])
        #expect(result.status == 0, "\(result.combinedOutput)")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written == Self.csv(.paediatric, subjects: 250, seed: 5))
        let studies = Table(written).rows.count
        #expect(result.standardOutput.contains("250 subjects, \(studies) studies"), "\(result.standardOutput)")
        #expect(result.standardOutput.contains(out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["site.csv"])
    }

    @Test func synthNamesTheValidProfilesForAnUnknownOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let out = directory.file("site.csv")
        let result = try ProcessRunner.run(Self.meshnode, ["synth", "--profile", "oncology", "--subjects", "10", "--out", out])
        #expect(result.status != 0)
        #expect(result.standardError.contains("oncology"), "\(result.combinedOutput)")
        for profile in SiteProfile.allCases {
            #expect(result.standardError.contains(profile.rawValue), "\(result.combinedOutput)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test(arguments: ["0", "10000001", "-3"])
    func synthRefusesSubjectCountsOutsideItsLimits(_ subjects: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let out = directory.file("site.csv")
        let result = try ProcessRunner.run(Self.meshnode, ["synth", "--profile", "general", "--subjects=\(subjects)", "--out", out])
        #expect(result.status != 0)
        #expect(result.standardError.contains("--subjects must be between 1 and 10000000"), "\(result.combinedOutput)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func synthNamesAMissingDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("no-such-dir/site.csv")
        let result = try ProcessRunner.run(Self.meshnode, ["synth", "--profile", "lung", "--subjects", "10", "--out", missing])
        #expect(result.status != 0)
        #expect(result.standardError.contains(directory.file("no-such-dir")), "\(result.combinedOutput)")
    }
}
