extension SyntheticCases {
    /// Writes the site as CSV (header, then one line per study, rows of a subject together)
    /// by handing `write` chunks of about `chunkBytes` bytes.
    @discardableResult
    public func writeCSV(chunkBytes: Int = 1 << 16, to write: (ArraySlice<UInt8>) throws -> Void) rethrows -> Summary {
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
}
