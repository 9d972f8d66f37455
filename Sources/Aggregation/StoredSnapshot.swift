import MeshCore

/// A site's snapshot as the site database keeps it beside the `cases` table: the columns
/// without record keys, and each subject's pseudonym by dense index.
///
/// Why without keys: record keys are keyed hashes under the node's secret, which stays in
/// the node's folder and never enters the database (the database may be copied for
/// inspection, and `meshnode import` does not know the node). A starting node decodes this
/// and computes the keys from the pseudonyms (``keyed(by:)``), instead of reading a million
/// rows through SQL and dictionary-coding every value again.
public struct StoredSnapshot: Sendable {
    /// The columns, every record key zero.
    public let snapshot: ColumnarSnapshot
    /// The pseudonyms' UTF-8 bytes, concatenated in dense-index order.
    let pseudonymBytes: [UInt8]
    /// Where each subject's pseudonym ends in `pseudonymBytes` (it starts where the previous ends).
    let pseudonymEnds: [UInt32]

    /// - Parameter pseudonyms: by dense subject index, one per subject of `snapshot`.
    public init(snapshot: ColumnarSnapshot, pseudonyms: [String]) {
        precondition(pseudonyms.count == snapshot.subjectCount, "one pseudonym per subject")
        var bytes: [UInt8] = []
        var ends: [UInt32] = []
        ends.reserveCapacity(pseudonyms.count)
        for pseudonym in pseudonyms {
            bytes.append(contentsOf: pseudonym.utf8)
            ends.append(UInt32(bytes.count))
        }
        self.init(snapshot: snapshot, pseudonymBytes: bytes, pseudonymEnds: ends)
    }

    init(snapshot: ColumnarSnapshot, pseudonymBytes: [UInt8], pseudonymEnds: [UInt32]) {
        self.snapshot = snapshot
        self.pseudonymBytes = pseudonymBytes
        self.pseudonymEnds = pseudonymEnds
    }

    /// The bytes of `subject`'s pseudonym in `pseudonymBytes`.
    func pseudonymRange(_ subject: Int) -> Range<Int> {
        (subject == 0 ? 0 : Int(pseudonymEnds[subject - 1]))..<Int(pseudonymEnds[subject])
    }

    /// The pseudonym of the subject with dense index `subject`.
    public func pseudonym(_ subject: Int) -> String {
        String(decoding: pseudonymBytes[pseudonymRange(subject)], as: UTF8.self)
    }
}
