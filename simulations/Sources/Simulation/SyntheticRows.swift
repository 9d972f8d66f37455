import Foundation
import Aggregation
import MeshCore

/// Person-level synthetic rows for the utility study: persons with a sex, an age at
/// diagnosis, a diagnosis drawn from a skewed list and a stage, each with one to four
/// imaging studies. Only the shape matters here (many small cells, some large ones), not
/// clinical realism.
enum SyntheticRows {
    static let diagnoses: [(String, Double)] = [
        ("C50", 0.22), ("C61", 0.18), ("C34", 0.16), ("C18", 0.10), ("C20", 0.05), ("C64", 0.05), ("C67", 0.05), ("C43", 0.04),
        ("C25", 0.03), ("C22", 0.03), ("C71", 0.03), ("C16", 0.02), ("C15", 0.02), ("C73", 0.02),
    ]
    static let modalities = ["CT", "MR", "PT", "MG", "US"]
    static let stages = ["I", "II", "III", "IV", "unknown"]

    static func snapshot(site: Int, subjects: Int, schema: Schema, keyer: RecordKeyer, random: inout SeededRandom) -> ColumnarSnapshot {
        var builder = ColumnarSnapshotBuilder(schema: schema, keyer: keyer)
        let position = Dictionary(uniqueKeysWithValues: schema.attributes.enumerated().map { ($1.name, $0) })
        for subject in 0..<subjects {
            var values = [ColumnarSnapshotBuilder.Value](repeating: .null, count: schema.attributes.count)
            let diagnosis = pick(diagnoses, using: &random)
            let sex = diagnosis == "C61" ? "M" : (diagnosis == "C50" ? "F" : (Bool.random(using: &random) ? "M" : "F"))
            let age = min(1000, max(200, Int64((62 + 12 * gaussian(using: &random)) * 10)))
            values[position["sex"]!] = .code(sex)
            values[position["age_at_diagnosis"]!] = .number(age)
            values[position["diagnosis"]!] = .code(diagnosis)
            values[position["tumour_stage"]!] = .code(stages.randomElement(using: &random)!)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                var study = values
                study[position["modality"]!] = .code(modalities.randomElement(using: &random)!)
                study[position["manufacturer"]!] = .code(["SIEMENS", "GE", "PHILIPS"].randomElement(using: &random)!)
                study[position["study_year"]!] = .number(Int64.random(in: 2005...2025, using: &random))
                study[position["slice_thickness_mm"]!] = .number(Int64.random(in: 50...500, using: &random))
                study[position["image_count"]!] = .number(Int64.random(in: 50...2000, using: &random))
                // Rows come straight from the generator, so every value fits the schema.
                try! builder.append(subject: "site\(site)-p\(subject)", values: study)
            }
        }
        return builder.build()
    }

    static func pick(_ weighted: [(String, Double)], using random: inout SeededRandom) -> String {
        var draw = Double.random(in: 0..<weighted.reduce(0) { $0 + $1.1 }, using: &random)
        for (value, weight) in weighted {
            if draw < weight { return value }
            draw -= weight
        }
        return weighted.last!.0
    }

    static func gaussian(using random: inout SeededRandom) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &random)
        let v = Double.random(in: 0..<1, using: &random)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
