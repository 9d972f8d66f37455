import Aggregation
import Foundation
import Logging
import MeshCore

/// What changes in a running node's folder between housekeeping rounds: a re-import into the
/// site database (a new snapshot to serve and publish), and a revocation list handed over by
/// `meshnode revocations publish`. Each change is reported once; what the node started with
/// is not a change. Used from the one housekeeping task; the lock only makes that safe to say.
final class FolderWatch: @unchecked Sendable {
    private let lock = NSLock()
    private let store: SiteStore
    private let revocations: RevocationFile
    private var seenImport: String?
    private var seenRevocations: Date?
    /// The stale revocation list already warned about (``NodeRuntime`` warns once per list).
    var staleRevocationsWarned: UInt64? {
        get { lock.withLock { warned } }
        set { lock.withLock { warned = newValue } }
    }
    private var warned: UInt64?

    init(config: NodeConfig, revocations: RevocationFile) throws {
        store = try SiteStore(path: config.databasePath)
        self.revocations = revocations
        seenImport = try? store.importID()
        seenRevocations = revocations.modificationDate()
    }

    /// The site data of a new import, loaded, if there was one since the last call. A
    /// snapshot that cannot be loaded is logged and the node keeps serving the data it has.
    func changedSnapshot(keyer: RecordKeyer, logger: Logger) -> ColumnarSnapshot? {
        let changed: String? = lock.withLock {
            guard let current = try? store.importID(), current != seenImport else { return nil }
            seenImport = current
            return current
        }
        guard changed != nil else { return nil }
        do {
            return try store.loadSnapshot(keyer: keyer)
        } catch {
            logger.error("cannot reload the site data; still serving the previous data", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// The revocation list in the folder, if the file changed since the last call.
    func changedRevocations() -> SignedRevocationList? {
        lock.withLock {
            guard let changed = revocations.modificationDate(), changed != seenRevocations else { return nil }
            seenRevocations = changed
            return try? revocations.load()
        }
    }
}
