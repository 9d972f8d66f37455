import Aggregation
import DICOM
import Foundation
import MeshCore

/// Builds the site's `cases` rows from imaging studies and the clinical export: one row per
/// study, keyed by its Patient ID, with the person-level attributes from the clinical record
/// and the study-level ones from the images, every categorical value through the mapping.
///
/// Where each attribute comes from (by the schema's attribute name):
///
/// | attribute | source |
/// |---|---|
/// | `modality`, `body_part`, `manufacturer` | Modality (0008,0060), Body Part Examined (0018,0015), Manufacturer (0008,0070) of the primary series, mapped |
/// | `study_year` | the year of Study Date (0008,0020) |
/// | `slice_thickness_mm` | Slice Thickness (0018,0050), thinnest of the primary series, rounded half up to the schema's scale; NULL when no series has one |
/// | `image_count` | instances in all the study's series |
/// | `sex` | the clinical export where it gives one, else Patient's Sex (0010,0040), mapped |
/// | `age_at_diagnosis` | the clinical export where it gives one, else the age at the patient's earliest study: Patient's Age (0010,1010), or whole years from Patient's Birth Date (0010,0030) to Study Date |
/// | any other subject-level attribute | the clinical export's column of that name |
///
/// A study that cannot become a row is left out and reported with the reason, never
/// dropped silently: its patient has no clinical record, a value is unmapped (counted in
/// ``UnmappedValues``), a required value is missing or out of range, or the patient's
/// studies disagree on a person-level attribute. The importer's `--strict` turns any of
/// these into a failed import.
struct ImagingCaseBuilder {
    let schema: Schema
    let mapping: VocabularyMapping
    let clinical: ClinicalExport

    /// The attributes the images can give, by schema name.
    static let imagingAttributes: Set<String> = [
        "sex", "age_at_diagnosis", "modality", "body_part", "manufacturer", "study_year", "slice_thickness_mm", "image_count",
    ]

    struct SetupError: Error, CustomStringConvertible {
        let description: String
    }

    /// Checks that every attribute of the schema has a source.
    init(schema: Schema, mapping: VocabularyMapping, clinical: ClinicalExport) throws(SetupError) {
        self.schema = schema
        self.mapping = mapping
        self.clinical = clinical
        for attribute in schema.attributes where attribute.type != .key {
            if clinical.attributes.contains(attribute.name) || Self.imagingAttributes.contains(attribute.name) { continue }
            throw SetupError(
                description: "attribute '\(attribute.name)' of the schema comes neither from the images nor from the clinical export \(clinical.file); add a column '\(attribute.name)' to it"
            )
        }
    }

    /// A study left out, and why.
    struct Exclusion: Sendable, Equatable, CustomStringConvertible {
        let studyInstanceUID: String
        let reason: String
        var description: String { "study \(studyInstanceUID): \(reason)" }
    }

    struct Outcome {
        var rows = SiteImporter.ValidatedRows()
        var unmapped = UnmappedValues()
        var excluded: [Exclusion] = []
        /// Patients of the clinical export with no study among the images (reported, harmless).
        var patientsWithoutStudies = 0

        /// What an operator reads after an import: unmapped values first (the mapping to
        /// extend), then the studies left out for other reasons, grouped by reason.
        var report: [String] {
            var lines = unmapped.report
            let otherReasons = excluded.filter { !$0.reason.hasPrefix("unmapped ") }
            var byReason: [String: [String]] = [:]
            for exclusion in otherReasons {
                byReason[Self.reasonKind(exclusion.reason), default: []].append(exclusion.description)
            }
            for kind in byReason.keys.sorted() {
                let examples = byReason[kind]!
                lines.append("\(examples.count) \(examples.count == 1 ? "study" : "studies") left out: \(kind) (e.g. \(examples.prefix(3).joined(separator: "; ")))")
            }
            return lines
        }

        private static func reasonKind(_ reason: String) -> String {
            if let colon = reason.firstIndex(of: ":") { return String(reason[..<colon]) }
            return reason
        }
    }

    func build(studies: [DICOMStudy]) -> Outcome {
        var outcome = Outcome()
        var byPatient: [String: [DICOMStudy]] = [:]
        for study in studies {
            guard let patient = study.patientID?.trimmingCharacters(in: .whitespaces), !patient.isEmpty else {
                outcome.excluded.append(Exclusion(studyInstanceUID: study.studyInstanceUID, reason: "no Patient ID (0010,0020): it cannot be joined to a clinical record"))
                continue
            }
            byPatient[patient, default: []].append(study)
        }
        outcome.patientsWithoutStudies = clinical.records.keys.filter { byPatient[$0] == nil }.count

        for patient in byPatient.keys.sorted() {
            // Earliest study first: the person-level values the images give are the first study's.
            let patientStudies = byPatient[patient]!.sorted(by: Self.earlier)
            guard let record = clinical.records[patient] else {
                for study in patientStudies {
                    outcome.excluded.append(Exclusion(studyInstanceUID: study.studyInstanceUID, reason: "no clinical record: patient '\(patient)' is not in \(clinical.file)"))
                }
                continue
            }
            switch personValues(patient: patient, record: record, studies: patientStudies, unmapped: &outcome.unmapped) {
            case .failure(let reason):
                for study in patientStudies { outcome.excluded.append(Exclusion(studyInstanceUID: study.studyInstanceUID, reason: reason)) }
            case .success(let person):
                for study in patientStudies {
                    switch row(for: study, person: person, unmapped: &outcome.unmapped) {
                    case .success(let values): outcome.rows.append(subject: patient, values: values)
                    case .failure(let reason): outcome.excluded.append(Exclusion(studyInstanceUID: study.studyInstanceUID, reason: reason))
                    }
                }
            }
        }
        return outcome
    }

    /// Dated studies before undated ones, then by date, then by UID.
    private static func earlier(_ a: DICOMStudy, _ b: DICOMStudy) -> Bool {
        switch (a.studyDate, b.studyDate) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.studyInstanceUID < b.studyInstanceUID
        }
    }

    private enum Built<T> {
        case success(T)
        case failure(String)
    }

    /// The person-level values, indexed like `schema.attributes` (study-level slots unset).
    private func personValues(
        patient: String, record: ClinicalExport.Record, studies: [DICOMStudy], unmapped: inout UnmappedValues
    ) -> Built<[ColumnarSnapshotBuilder.Value]> {
        var values = [ColumnarSnapshotBuilder.Value](repeating: .null, count: schema.attributes.count)
        let place = "\(clinical.file):\(record.line)"
        for (position, attribute) in schema.attributes.enumerated() where attribute.level == .subject && attribute.type != .key {
            // The clinical export's value when it has one; a blank falls back to the images
            // where they can give the attribute.
            if clinical.attributes.contains(attribute.name), record.values[attribute.name] != nil || !Self.imagingAttributes.contains(attribute.name) {
                switch value(record.values[attribute.name], for: attribute, place: place, unmapped: &unmapped) {
                case .success(let value): values[position] = value
                case .failure(let reason): return .failure(reason)
                }
                continue
            }
            switch attribute.name {
            case "sex":
                let stated = Set(studies.compactMap { $0.patientSex?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                if stated.count > 1 {
                    return .failure("conflicting sex: patient '\(patient)' has Patient's Sex \(stated.sorted().map { "'\($0)'" }.joined(separator: " and ")) in different studies")
                }
                switch value(stated.first, for: attribute, place: "study \(studies[0].studyInstanceUID)", unmapped: &unmapped) {
                case .success(let value): values[position] = value
                case .failure(let reason): return .failure(reason)
                }
            case "age_at_diagnosis":
                guard let age = studies.lazy.compactMap(\.ageInYears).first else {
                    if attribute.nullable { continue }
                    return .failure("missing age: patient '\(patient)' has no age_at_diagnosis in \(clinical.file) and no Patient's Age or Birth Date in the images")
                }
                let scaled = Int64((age * FixedPoint.power(attribute.scale)).rounded(.down))
                switch checked(scaled, for: attribute, what: "age \(FixedPoint.format(scaled, scale: attribute.scale))") {
                case .success(let value): values[position] = value
                case .failure(let reason): return .failure(reason)
                }
            default:
                break
            }
        }
        return .success(values)
    }

    private func row(
        for study: DICOMStudy, person: [ColumnarSnapshotBuilder.Value], unmapped: inout UnmappedValues
    ) -> Built<[ColumnarSnapshotBuilder.Value]> {
        var values = person
        let place = "study \(study.studyInstanceUID)"
        for (position, attribute) in schema.attributes.enumerated() where attribute.level == .study {
            let result: Built<ColumnarSnapshotBuilder.Value>
            switch attribute.name {
            case "modality": result = value(study.modality, for: attribute, place: place, unmapped: &unmapped)
            case "body_part": result = value(study.bodyPartExamined, for: attribute, place: place, unmapped: &unmapped)
            case "manufacturer": result = value(study.manufacturer, for: attribute, place: place, unmapped: &unmapped)
            case "study_year":
                guard let date = study.studyDate else {
                    result = attribute.nullable ? .success(.null) : .failure("missing Study Date (0008,0020)")
                    break
                }
                result = checked(Int64(date.year) * attribute.scaleFactor, for: attribute, what: "study year \(date.year)")
            case "slice_thickness_mm":
                guard let thickness = study.sliceThickness else {
                    result = attribute.nullable ? .success(.null) : .failure("missing Slice Thickness (0018,0050)")
                    break
                }
                result = checked(Self.rounded(thickness, scale: attribute.scale), for: attribute, what: "slice thickness \(thickness) mm")
            case "image_count":
                result = checked(Int64(study.instanceCount) * attribute.scaleFactor, for: attribute, what: "\(study.instanceCount) images")
            default:
                result = attribute.nullable ? .success(.null) : .failure("no source for \(attribute.name)")
            }
            switch result {
            case .success(let value): values[position] = value
            case .failure(let reason): return .failure(reason)
            }
        }
        return .success(values)
    }

    /// A site value as the schema's value: categoricals through the mapping, numerics parsed
    /// and range-checked; nil or blank is NULL where the schema allows it.
    private func value(_ raw: String?, for attribute: Attribute, place: String, unmapped: inout UnmappedValues) -> Built<ColumnarSnapshotBuilder.Value> {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            if attribute.nullable { return .success(.null) }
            unmapped.record("(missing)", of: attribute.name, at: place)
            return .failure("unmapped \(attribute.name): no value")
        }
        switch attribute.type {
        case .key:
            return .success(.code(raw))
        case .categorical:
            guard let code = mapping.code(for: raw, of: attribute.name) else {
                unmapped.record(raw, of: attribute.name, at: place)
                return .failure("unmapped \(attribute.name): '\(raw)'")
            }
            return .success(.code(code))
        case .numeric(_, let scale, _, _):
            switch FixedPoint.parse(raw, scale: scale) {
            case .success(let number): return checked(number, for: attribute, what: "\(attribute.name) \(raw) (\(place))")
            case .failure(.tooManyDecimals(let allowed)):
                return .failure("malformed \(attribute.name): '\(raw)' has more than \(allowed) decimal places (\(place))")
            case .failure:
                return .failure("malformed \(attribute.name): '\(raw)' is not a number (\(place))")
            }
        }
    }

    private func checked(_ number: Int64, for attribute: Attribute, what: String) -> Built<ColumnarSnapshotBuilder.Value> {
        guard case .numeric(let unit, let scale, let minimum, let maximum) = attribute.type else { return .success(.number(number)) }
        let suffix = unit.map { " \($0)" } ?? ""
        if let minimum, number < FixedPoint.bound(minimum, scale: scale).ceiling {
            return .failure("out of range: \(what) is below the minimum \(minimum)\(suffix) of \(attribute.name)")
        }
        if let maximum, number > FixedPoint.bound(maximum, scale: scale).floor {
            return .failure("out of range: \(what) is above the maximum \(maximum)\(suffix) of \(attribute.name)")
        }
        return .success(.number(number))
    }

    /// A decimal at the schema's scale, rounded half up (DICOM writes 0.625 mm; a scale of 2 keeps 0.63).
    static func rounded(_ decimal: Decimal, scale: Int) -> Int64 {
        var scaled = decimal
        for _ in 0..<scale { scaled *= 10 }
        var result = Decimal()
        NSDecimalRound(&result, &scaled, 0, .plain)
        return NSDecimalNumber(decimal: result).int64Value
    }
}
