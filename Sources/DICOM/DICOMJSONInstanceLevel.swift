import Foundation

/// The instance-level attributes of one instance, as a QIDO-RS instance search answers them
/// (`/studies/{uid}/instances`, PS3.18 section 10.6), and how they complete series records.
///
/// A series search cannot say how thin a series' slices are: Slice Thickness (0018,0050) is
/// an instance attribute and series may mix thicknesses (or have it on some instances only),
/// while the primary-series rule wants the thinnest. A server also indexes series-level
/// attributes from one instance only (Orthanc, from the first it received), so an attribute
/// that instance lacked is missing at series level although others have it.
public struct DICOMInstanceLevel: Equatable, Sendable {
    public var seriesInstanceUID: String
    public var modality: String?
    public var bodyPartExamined: String?
    public var manufacturer: String?
    /// In mm, exact as the server wrote it.
    public var sliceThickness: Decimal?

    public init(
        seriesInstanceUID: String, modality: String? = nil, bodyPartExamined: String? = nil, manufacturer: String? = nil,
        sliceThickness: Decimal? = nil
    ) {
        self.seriesInstanceUID = seriesInstanceUID
        self.modality = modality
        self.bodyPartExamined = bodyPartExamined
        self.manufacturer = manufacturer
        self.sliceThickness = sliceThickness
    }

    /// What an instance search asks for (`includefield`, PS3.18 8.3.4.3).
    public static let queryTags: [DICOMTag] = [.seriesInstanceUID, .modality, .bodyPartExamined, .manufacturer, .sliceThickness]

    public init(dicomJSON dataset: DICOMJSONDataset) throws(DICOMJSONError) {
        self.init(
            seriesInstanceUID: try dataset.requiredText(.seriesInstanceUID, "Series Instance UID"),
            modality: try dataset.text(.modality), bodyPartExamined: try dataset.text(.bodyPartExamined),
            manufacturer: try dataset.text(.manufacturer), sliceThickness: try dataset.decimal(.sliceThickness)
        )
    }
}

extension DICOMSeriesLevel {
    /// The series of one study completed from its instances, the way the file reader would
    /// have seen them:
    /// - slice thickness is the thinnest any instance declares; the series-level value only
    ///   when no instance declares one;
    /// - modality, body part and manufacturer stay as the series level gives them, else come
    ///   from the first instance that has them;
    /// - the instance count is the larger of the reported count and the instances listed
    ///   (a server that does not report the count has it counted).
    /// Instances of series the series search did not list (stored between the two searches)
    /// are left out: the next sync sees them with their series.
    public static func completing(_ series: [DICOMSeriesLevel], with instances: [DICOMInstanceLevel]) -> [DICOMSeriesLevel] {
        let bySeries = Dictionary(grouping: instances, by: \.seriesInstanceUID)
        return series.map { record in
            let members = bySeries[record.seriesInstanceUID] ?? []
            var completed = record
            completed.sliceThickness = members.compactMap(\.sliceThickness).min() ?? record.sliceThickness
            completed.modality = record.modality ?? members.lazy.compactMap(\.modality).first
            completed.bodyPartExamined = record.bodyPartExamined ?? members.lazy.compactMap(\.bodyPartExamined).first
            completed.manufacturer = record.manufacturer ?? members.lazy.compactMap(\.manufacturer).first
            completed.instanceCount = max(record.instanceCount, members.count)
            return completed
        }
    }
}
