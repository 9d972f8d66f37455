import Foundation
import MeshCore

/// When a node re-signs its own catalogue (docs/ARCHITECTURE.md, "Gossip": nodes re-sign before
/// expiry), and with which version.
///
/// Re-signing at two thirds of the validity leaves a third of it for the new version to
/// spread by gossip before peers would expire the old one. A node also re-signs at once when
/// its data or policy change; either way the version is the previous one plus one, since
/// peers keep only strictly newer versions. (A node must therefore persist its last version:
/// one that restarts from 1 is ignored until its old catalogue expires everywhere.)
extension CatalogueStore {
    /// The fraction of a catalogue's validity after which its node re-signs it.
    public static let resignFraction = 2.0 / 3.0

    /// Whether the node should re-sign its own catalogue `own` at `now`.
    public static func needsResign(own: Catalogue, now: Date) -> Bool {
        let validity = own.expiresAtMilliseconds - own.issuedAtMilliseconds
        let due = own.issuedAtMilliseconds + Int64(Double(validity) * resignFraction)
        return UnixMilliseconds.from(now) >= due
    }

    /// The version of the node's next catalogue.
    public static func nextVersion(after own: Catalogue?) -> UInt64 {
        (own?.version ?? 0) + 1
    }
}
