import Foundation

/// Groups what a source reports (file headers one by one, or a server's study and series
/// records) into ``DICOMStudy`` values, by Study Instance UID, applying the primary-series
/// rule of ``DICOMStudy``.
///
/// Files of one study that disagree on a patient-level attribute (two Patient IDs, two
/// birth dates) are an error naming the study and both values: the study cannot be joined
/// to one patient's clinical record, and guessing would put a person's data on another.
public struct DICOMStudyAssembler: Sendable {
    public struct ConflictError: Error, Equatable, Sendable, CustomStringConvertible {
        public let studyInstanceUID: String
        public let attribute: String
        public let values: [String]
        /// Where the second value was seen (a file path or a request), when known.
        public let place: String?

        public var description: String {
            let shown = values.map { "'\($0)'" }.joined(separator: " and ")
            let at = place.map { " (\($0))" } ?? ""
            return "study \(studyInstanceUID): its files disagree on \(attribute): \(shown)\(at)"
        }
    }

    /// Why a file cannot be placed in a study.
    public struct MissingUIDError: Error, Equatable, Sendable, CustomStringConvertible {
        public let path: String
        public let attribute: String
        public var description: String { "\(path): the file has no \(attribute); it cannot be placed in a study" }
    }

    private struct Accumulated: Sendable {
        var level: DICOMStudyLevel
        var series: [String: DICOMSeriesLevel] = [:]
    }

    private var studies: [String: Accumulated] = [:]

    public init() {}

    public var studyCount: Int { studies.count }

    /// Counts one instance, from its file header.
    public mutating func add(file header: DICOMFileHeader, path: String) throws {
        guard let studyUID = header.studyInstanceUID else { throw MissingUIDError(path: path, attribute: "Study Instance UID (0020,000D)") }
        guard let seriesUID = header.seriesInstanceUID else { throw MissingUIDError(path: path, attribute: "Series Instance UID (0020,000E)") }
        let level = DICOMStudyLevel(
            studyInstanceUID: studyUID, patientID: header.patientID, patientSex: header.patientSex, patientAge: header.patientAge,
            patientBirthDate: header.patientBirthDate, studyDate: header.studyDate
        )
        try merge(level, place: path)
        var series = studies[studyUID]!.series[seriesUID] ?? DICOMSeriesLevel(seriesInstanceUID: seriesUID, instanceCount: 0)
        series.instanceCount += 1
        series.modality = series.modality ?? header.modality
        series.bodyPartExamined = series.bodyPartExamined ?? header.bodyPartExamined
        series.manufacturer = series.manufacturer ?? header.manufacturer
        if let thickness = header.sliceThickness {
            series.sliceThickness = min(series.sliceThickness ?? thickness, thickness)
        }
        studies[studyUID]!.series[seriesUID] = series
    }

    /// Adds a study as a server reports it, with all its series.
    public mutating func add(study: DICOMStudyLevel, series: [DICOMSeriesLevel], place: String? = nil) throws {
        try merge(study, place: place)
        for record in series {
            studies[study.studyInstanceUID]!.series[record.seriesInstanceUID] = record
        }
    }

    private mutating func merge(_ level: DICOMStudyLevel, place: String?) throws {
        guard var known = studies[level.studyInstanceUID] else {
            studies[level.studyInstanceUID] = Accumulated(level: level)
            return
        }
        func reconcile<T: Equatable & CustomStringConvertible>(_ current: inout T?, _ new: T?, _ name: String) throws {
            guard let new else { return }
            guard let existing = current else {
                current = new
                return
            }
            if existing != new {
                throw ConflictError(studyInstanceUID: level.studyInstanceUID, attribute: name, values: [existing.description, new.description], place: place)
            }
        }
        try reconcile(&known.level.patientID, level.patientID, "Patient ID (0010,0020)")
        try reconcile(&known.level.patientSex, level.patientSex, "Patient's Sex (0010,0040)")
        try reconcile(&known.level.patientAge, level.patientAge, "Patient's Age (0010,1010)")
        try reconcile(&known.level.patientBirthDate, level.patientBirthDate, "Patient's Birth Date (0010,0030)")
        try reconcile(&known.level.studyDate, level.studyDate, "Study Date (0008,0020)")
        studies[level.studyInstanceUID] = known
    }

    /// The studies, ordered by Study Instance UID.
    public func assembled() -> [DICOMStudy] {
        studies.keys.sorted().map { uid in
            let accumulated = studies[uid]!
            // Primary series first: most instances, then the smaller UID.
            let ordered = accumulated.series.values.sorted {
                $0.instanceCount != $1.instanceCount ? $0.instanceCount > $1.instanceCount : $0.seriesInstanceUID < $1.seriesInstanceUID
            }
            let level = accumulated.level
            return DICOMStudy(
                studyInstanceUID: uid, patientID: level.patientID, patientSex: level.patientSex, patientAge: level.patientAge,
                patientBirthDate: level.patientBirthDate, studyDate: level.studyDate,
                modality: ordered.lazy.compactMap(\.modality).first,
                bodyPartExamined: ordered.lazy.compactMap(\.bodyPartExamined).first,
                manufacturer: ordered.lazy.compactMap(\.manufacturer).first,
                sliceThickness: ordered.lazy.compactMap(\.sliceThickness).first,
                instanceCount: ordered.reduce(0) { $0 + $1.instanceCount }, seriesCount: ordered.count
            )
        }
    }
}
