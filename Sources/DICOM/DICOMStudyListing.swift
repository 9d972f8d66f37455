/// One entry of a server's study list (QIDO-RS `/studies`, PS3.18 section 10.6): the
/// study-level attributes and how many series and instances the server holds for the study,
/// which is what tells a sync whether the study changed since it was last fetched.
public struct DICOMStudyListing: Equatable, Sendable {
    public var study: DICOMStudyLevel
    /// Number of Study Related Instances (0020,1208).
    public var instanceCount: Int
    /// Number of Study Related Series (0020,1206).
    public var seriesCount: Int

    public init(study: DICOMStudyLevel, instanceCount: Int, seriesCount: Int) {
        self.study = study
        self.instanceCount = instanceCount
        self.seriesCount = seriesCount
    }
}
