import Foundation
import X509

/// Revocation is the CA's job (docs/ARCHITECTURE.md, "Identity and PKI"): it alone signs the list, and
/// its directory keeps the current version next to `ca.crt` and `ca.key`.
extension FederationCA {
    /// Where the CA directory keeps its current signed revocation list.
    public static func revocationListPath(directory: String) -> String {
        directory + "/" + SignedRevocationList.fileName
    }

    /// How long a list stays current when the operator does not say: a week bounds how long
    /// a node can miss a revocation without saying so, while the CA re-signs only weekly.
    public static let revocationNextUpdateDaysDefault = 7
    static let millisecondsPerDay: Int64 = 24 * 3600 * 1000

    /// The next revocation list: everything `previous` revokes plus `serials`, one version
    /// higher, promising its successor `nextUpdateDays` after `now`, signed with the CA key.
    ///
    /// The version always rises, even when every serial was already listed, so that a
    /// re-issued list always replaces the one peers hold. At least a day: a shorter promise
    /// would leave nodes reporting a stale list before gossip has even spread it.
    public func nextRevocationList(
        after previous: RevocationList,
        revoking serials: [Certificate.SerialNumber],
        now: Date = Date(),
        nextUpdateDays: Int = FederationCA.revocationNextUpdateDaysDefault
    ) throws(RevocationListError) -> SignedRevocationList {
        guard previous.version < UInt64.max else {
            throw RevocationListError(.staleVersion, "revocation list version \(previous.version) cannot be raised further")
        }
        guard nextUpdateDays >= 1 else {
            throw RevocationListError(.invalidNextUpdate, "the next update of a revocation list must be at least 1 day after it is issued, not \(nextUpdateDays) days")
        }
        let issuedAt = UnixMilliseconds.from(now)
        let (interval, intervalOverflows) = Int64(nextUpdateDays).multipliedReportingOverflow(by: Self.millisecondsPerDay)
        let (nextUpdate, nextUpdateOverflows) = issuedAt.addingReportingOverflow(interval)
        guard !intervalOverflows, !nextUpdateOverflows else {
            throw RevocationListError(.invalidNextUpdate, "a next update \(nextUpdateDays) days after \(now) is beyond the clock's range")
        }
        for serial in serials where serial.normalised.bytes.count > RevocationList.serialBytesMax {
            throw RevocationListError(.invalidSerial, "serial \(serial) has more than \(RevocationList.serialBytesMax) bytes (RFC 5280 allows 20)")
        }
        let next = RevocationList(
            version: previous.version + 1,
            issuedAtMilliseconds: issuedAt,
            nextUpdateMilliseconds: nextUpdate,
            serials: previous.serials + serials
        )
        return try SignedRevocationList.sign(next, with: privateKey)
    }

    /// The CA directory's current list, verified against this CA; ``RevocationList/empty``
    /// when the CA has not revoked anything yet.
    public func loadRevocationList(directory: String) throws(RevocationListError) -> RevocationList {
        let path = Self.revocationListPath(directory: directory)
        guard SecureFile.exists(path) else { return .empty }
        do {
            return try SignedRevocationList.load(path: path).verify(caCertificate: certificate)
        } catch {
            throw RevocationListError(error.code, "'\(path)': \(error.message)")
        }
    }

    /// Replaces the CA directory's list atomically (a crash leaves the old list or the new
    /// one, never a torn file), after checking that `signed` is newer than what is there.
    public func saveRevocationList(_ signed: SignedRevocationList, directory: String) throws(RevocationListError) {
        let current = try loadRevocationList(directory: directory)
        let next = try signed.verify(caCertificate: certificate)
        guard next.supersedes(current) else {
            throw RevocationListError(
                .staleVersion,
                "revocation list version \(next.version) does not replace version \(current.version) in '\(directory)'"
            )
        }
        do {
            try SecureFile.writeAtomically(signed.pemString(), to: Self.revocationListPath(directory: directory), mode: SecureFile.publicMode)
        } catch {
            throw RevocationListError(.fileUnwritable, error.message)
        }
    }
}
