/// Study- and series-level QIDO-RS answers (PS3.18 section 10.6) read into the records
/// ``DICOMStudyAssembler`` takes, and the attributes a search must ask for to fill them.
///
/// A QIDO-RS search returns only the attributes of PS3.18 Table 10.6.1-5 (study) or
/// 10.6.1-6 (series) by default; everything else has to be named with `includefield`
/// (PS3.18 8.3.4.3). The lists below are those `includefield` values.
extension DICOMStudyListing {
    /// What a study search asks for: the patient-level attributes, the study date and the
    /// counts a sync compares.
    public static let queryTags: [DICOMTag] = [
        .patientID, .patientSex, .patientAge, .patientBirthDate, .studyDate,
        .numberOfStudyRelatedInstances, .numberOfStudyRelatedSeries,
    ]

    /// One entry of a study search's answer. The counts are required: they were asked for,
    /// and a sync that compared a missing count with a stored one would fetch every study
    /// again on every run, or never.
    public init(dicomJSON dataset: DICOMJSONDataset) throws(DICOMJSONError) {
        let study = DICOMStudyLevel(
            studyInstanceUID: try dataset.requiredText(.studyInstanceUID, "Study Instance UID"),
            patientID: try dataset.text(.patientID), patientSex: try dataset.text(.patientSex),
            patientAge: try dataset.age(.patientAge), patientBirthDate: try dataset.date(.patientBirthDate),
            studyDate: try dataset.date(.studyDate)
        )
        guard let instances = try dataset.integer(.numberOfStudyRelatedInstances) else {
            throw DICOMJSONError(entry: dataset.entry, tag: .numberOfStudyRelatedInstances, problem: "the Number of Study Related Instances is missing")
        }
        guard let series = try dataset.integer(.numberOfStudyRelatedSeries) else {
            throw DICOMJSONError(entry: dataset.entry, tag: .numberOfStudyRelatedSeries, problem: "the Number of Study Related Series is missing")
        }
        self.init(study: study, instanceCount: instances, seriesCount: series)
    }
}

extension DICOMSeriesLevel {
    /// What a series search asks for. Slice Thickness belongs to the Image Plane module, an
    /// instance attribute; a server that answers it at series level gives one instance's
    /// value (Orthanc does), so it is only a fallback for ``completing(_:with:)``.
    public static let queryTags: [DICOMTag] = [
        .modality, .bodyPartExamined, .manufacturer, .numberOfSeriesRelatedInstances, .sliceThickness,
    ]

    /// One entry of a series search's answer. A missing Number of Series Related Instances
    /// reads as 0, to be counted from the instances (``completing(_:with:)``).
    public init(dicomJSON dataset: DICOMJSONDataset) throws(DICOMJSONError) {
        self.init(
            seriesInstanceUID: try dataset.requiredText(.seriesInstanceUID, "Series Instance UID"),
            modality: try dataset.text(.modality), bodyPartExamined: try dataset.text(.bodyPartExamined),
            manufacturer: try dataset.text(.manufacturer), sliceThickness: try dataset.decimal(.sliceThickness),
            instanceCount: try dataset.integer(.numberOfSeriesRelatedInstances) ?? 0
        )
    }
}
