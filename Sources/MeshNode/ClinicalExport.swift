import Foundation
import MeshCore

/// A site's clinical export (CSV): one row per patient, keyed by the pseudonym that the
/// DICOM Patient ID (0010,0020) carries, with the person-level attributes imaging headers do
/// not hold (diagnosis, stage, age at diagnosis) in the site's own vocabulary.
///
/// ```csv
/// patient_id,diagnosis,tumour_stage,age_at_diagnosis
/// P0001,SNOMED:399068003,II,63.5
/// ```
///
/// The key column is `patient_id` or the schema's key name; every other column must be a
/// subject-level attribute of the schema (a study-level attribute belongs to the images).
/// Values are kept as written: the mapping turns them into dictionary codes when the cases
/// are built (``ImagingCaseBuilder``), so that unmapped values are counted there with the
/// imaging ones. Errors name the file, the line and the column.
struct ClinicalExport: Sendable {
    /// One patient's values, by attribute name, as written (blank fields left out), and the
    /// line they came from.
    struct Record: Sendable, Equatable {
        let line: Int
        let values: [String: String]
    }

    let file: String
    /// Attribute names of the columns after the key, in file order.
    let attributes: [String]
    let records: [String: Record]

    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    static func read(path: String, schema: Schema) throws(ReadError) -> ClinicalExport {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReadError(description: "\(path): cannot read the clinical export: \(error.localizedDescription)")
        }
        return try parse(data: data, file: path, schema: schema)
    }

    static func parse(data: Data, file: String, schema: Schema) throws(ReadError) -> ClinicalExport {
        var reader = CSVReader(data: data)
        func next() throws(ReadError) -> CSVReader.Record? {
            do {
                return try reader.next()
            } catch {
                throw ReadError(description: "\(file):\(error.line): \(error.message)")
            }
        }
        guard let header = try next() else { throw ReadError(description: "\(file):1: the file is empty; expected a header line") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let keyNames = ["patient_id", schema.subjectKey.name]
        guard let keyColumn = names.firstIndex(where: { keyNames.contains($0) }) else {
            throw ReadError(description: "\(file):\(header.line): no key column; name the column of patient pseudonyms 'patient_id' (the DICOM Patient ID)")
        }
        var attributes: [String] = []
        for (index, name) in names.enumerated() where index != keyColumn {
            guard let attribute = schema.attribute(named: name) else {
                let hint = NameSuggestion.closest(to: name, among: schema.attributes.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                throw ReadError(description: "\(file):\(header.line): column \(index + 1) ('\(name)') is not an attribute of the schema\(hint)")
            }
            guard attribute.level == .subject, attribute.type != .key else {
                throw ReadError(description: "\(file):\(header.line): column \(index + 1) ('\(name)') is a study-level attribute; it comes from the images, not the clinical export")
            }
            guard !attributes.contains(name) else {
                throw ReadError(description: "\(file):\(header.line): column \(index + 1) ('\(name)') appears twice")
            }
            attributes.append(name)
        }
        var records: [String: Record] = [:]
        while let record = try next() {
            guard record.fields.count == names.count else {
                throw ReadError(description: "\(file):\(record.line): has \(record.fields.count) fields; the header has \(names.count)")
            }
            let patient = record.fields[keyColumn].trimmingCharacters(in: .whitespaces)
            guard !patient.isEmpty else { throw ReadError(description: "\(file):\(record.line): the patient pseudonym is empty") }
            if let earlier = records[patient] {
                throw ReadError(description: "\(file):\(record.line): patient '\(patient)' appears again (first on line \(earlier.line)); one row per patient")
            }
            var values: [String: String] = [:]
            for (index, field) in record.fields.enumerated() where index != keyColumn {
                let value = field.trimmingCharacters(in: .whitespaces)
                if !value.isEmpty, value != "NULL" { values[names[index]] = value }
            }
            records[patient] = Record(line: record.line, values: values)
        }
        return ClinicalExport(file: file, attributes: attributes, records: records)
    }
}
