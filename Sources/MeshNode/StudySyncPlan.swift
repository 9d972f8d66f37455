import DICOM

/// What a sync from a DICOM server must fetch, from the server's study list and the studies
/// the site database holds: new studies, and studies whose instance or series count changed
/// (instances were added to or removed from them), are fetched series by series; studies the
/// server no longer lists are removed; the rest are kept as stored without another request.
///
/// Comparing counts finds every change that adds or removes images whatever the studies'
/// dates, where a QIDO-RS date range (StudyDate) misses a study of an old date stored today;
/// it needs only the standard study-level attributes NumberOfStudyRelatedInstances
/// (0020,1208) and NumberOfStudyRelatedSeries (0020,1206) (PS3.18 section 10.6.3.3.1), so it
/// works against any QIDO-RS server, not only Orthanc's change feed.
///
/// With a date floor (`--since`), only studies on or after that date are listed; studies
/// before it are kept as stored and none is removed for being absent from the list.
struct StudySyncPlan: Equatable, Sendable {
    /// Study Instance UIDs to fetch, in listing order.
    var fetch: [String]
    /// Study Instance UIDs to remove.
    var remove: [String]
    /// Stored studies kept as they are.
    var unchanged: Int

    init(listed: [DICOMStudyListing], stored: [String: DICOMStudy], since: DICOMDate?) {
        var fetch: [String] = []
        var seen = Set<String>()
        var unchanged = 0
        for listing in listed {
            let uid = listing.study.studyInstanceUID
            guard seen.insert(uid).inserted else { continue }
            if let known = stored[uid], known.instanceCount == listing.instanceCount, known.seriesCount == listing.seriesCount {
                unchanged += 1
            } else {
                fetch.append(uid)
            }
        }
        var remove: [String] = []
        for (uid, study) in stored where !seen.contains(uid) {
            if let since, (study.studyDate.map { $0 < since } ?? true) {
                unchanged += 1  // outside the listed range: kept
            } else {
                remove.append(uid)
            }
        }
        self.fetch = fetch
        self.remove = remove.sorted()
        self.unchanged = unchanged
    }
}
