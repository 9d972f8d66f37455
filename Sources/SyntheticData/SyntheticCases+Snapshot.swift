import Aggregation
import MeshCore

extension SyntheticCases {
    /// A study's row as the reference schema's values, in the schema's order (the key
    /// column is null: the builder takes the pseudonym separately). Fixed-point numbers are
    /// already at the schema's scale, so no value is converted or rounded on the way in.
    public typealias Row = [ColumnarSnapshotBuilder.Value]

    /// The pseudonym of subject `number` (1-based), as the CSV writes it: `PRO-000123`.
    public func pseudonym(_ number: Int) -> String {
        let digits = String(number)
        return profile.pseudonymPrefix + String(repeating: "0", count: max(0, pseudonymDigits - digits.count)) + digits
    }

    /// Generates the site as rows of the reference schema: `body` gets each subject's
    /// pseudonym and the rows of its studies, oldest first.
    @discardableResult
    public func forEachSubjectRows(_ body: (_ pseudonym: String, _ rows: [Row]) throws -> Void) rethrows -> Summary {
        try forEachSubject { subject, studies in
            let subjectValues: Row = [
                .null, .code(subject.sex.rawValue), .number(Int64(subject.ageTenths)), .code(subject.diagnosis.rawValue),
                .code(subject.stage.rawValue),
            ]
            let rows = studies.map { study -> Row in
                subjectValues + [
                    .code(study.modality.rawValue), .code(study.bodyPart.rawValue), .code(study.manufacturer.rawValue),
                    .number(Int64(study.year)), study.sliceThicknessHundredths.map { .number(Int64($0)) } ?? .null,
                    .number(Int64(study.imageCount)),
                ]
            }
            try body(pseudonym(subject.number), rows)
        }
    }

    /// The site as the columnar snapshot a node's executor queries, keyed by `keyer` when
    /// cell keys are wanted (docs/PRIVACY.md).
    public func snapshot(keyer: RecordKeyer? = nil) -> ColumnarSnapshot {
        var builder = ColumnarSnapshotBuilder(schema: Schema.reference, keyer: keyer)
        forEachSubjectRows { pseudonym, rows in
            for row in rows {
                // Every code is in the reference vocabulary and every number within its
                // range (SyntheticSiteTests checks both), so the builder accepts every row.
                try! builder.append(subject: pseudonym, values: row)
            }
        }
        return builder.build()
    }
}
