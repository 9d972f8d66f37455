import Foundation

/// Whether a node is ready to serve queries, for `/health/ready`: it has loaded its site
/// data (a node that syncs before its first catalogue is not, until the sync ends), and it
/// has joined: at least one other member alive, unless it has no seeds (a node alone, or
/// the first of a mesh, is joined by itself). The runtime fills it in as it starts.
final class NodeReadiness: @unchecked Sendable {
    private let lock = NSLock()
    private var siteLoaded = false
    private var membership: MembershipShell?
    private let hasSeeds: Bool

    init(hasSeeds: Bool) {
        self.hasSeeds = hasSeeds
    }

    /// The site snapshot is loaded and the membership started.
    func started(membership: MembershipShell) {
        lock.withLock {
            siteLoaded = true
            self.membership = membership
        }
    }

    /// nil when ready; otherwise a short reason for the operator.
    func notReadyReason() async -> String? {
        let membership = lock.withLock { siteLoaded ? self.membership : nil }
        guard let membership else { return "the site data is not loaded yet" }
        guard hasSeeds else { return nil }
        return await membership.livePeers.isEmpty ? "not joined: no other member is alive yet (seeds are configured)" : nil
    }
}
