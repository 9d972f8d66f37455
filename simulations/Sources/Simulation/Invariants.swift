import Gossip
import MeshCore

/// The liveness checks of a run, made once faults have stopped: every live node sees
/// exactly the live nodes alive, at the incarnation each holds itself, and every live node
/// holds the same catalogue versions, including the newest of every live node.
extension Simulator {
    /// Nodes that have started and not crashed.
    public var liveNodes: [Int] { nodes.indices.filter { nodes[$0].started && nodes[$0].isUp } }

    /// Share of live nodes that believe every other live node alive (from their events).
    ///
    /// A node's live set never holds itself, so it is right when it has as many entries as
    /// there are other live nodes and none of them is down or unstarted: checked against
    /// the (few) nodes not live rather than entry by entry, O(N · not live) per call.
    public func shareKnowingAllLiveMembers() -> Double {
        var live: [Int] = []
        var notLive: [Int] = []
        for index in nodes.indices {
            if nodes[index].started && nodes[index].isUp { live.append(index) } else { notLive.append(index) }
        }
        guard !live.isEmpty else { return 0 }
        var count = 0
        for observer in live where nodes[observer].live.count == live.count - 1 {
            if notLive.allSatisfy({ !nodes[observer].live.contains($0) }) { count += 1 }
        }
        return Double(count) / Double(live.count)
    }

    /// Share of live nodes holding the catalogue of every started node.
    public func shareHoldingAllCatalogues() -> Double {
        var started = 0
        var live = 0
        for index in nodes.indices where nodes[index].started {
            started += 1
            if nodes[index].isUp { live += 1 }
        }
        guard live > 0 else { return 0 }
        var holding = 0
        for index in nodes.indices where nodes[index].started && nodes[index].isUp && nodes[index].heldCount >= started { holding += 1 }
        return Double(holding) / Double(live)
    }

    /// Share of live nodes holding `version` (or newer) of `owner`'s catalogue.
    public func shareHolding(owner: Int, version: UInt64) -> Double {
        let live = liveNodes
        guard !live.isEmpty else { return 0 }
        let id = nodes[owner].id
        return Double(live.filter { (nodes[$0].heldVersion(of: id) ?? 0) >= version }.count) / Double(live.count)
    }

    /// The quick convergence test used while stepping: equal catalogue fingerprints and
    /// complete alive views on every live node.
    public func seemsConverged() -> Bool {
        let live = liveNodes
        guard let first = live.first else { return true }
        let fingerprint = nodes[first].fingerprint
        guard live.allSatisfy({ nodes[$0].fingerprint == fingerprint }) else { return false }
        return shareKnowingAllLiveMembers() == 1
    }

    /// The full convergence check against the cores' own state; returns what disagrees
    /// (empty when converged), at most `limit` lines.
    public func convergenceProblems(limit: Int = 10) -> [String] {
        var problems: [String] = []
        let live = liveNodes
        let liveSet = Set(live)
        func note(_ text: String) { if problems.count < limit { problems.append(text) } }
        let newest = Dictionary(uniqueKeysWithValues: live.map { (nodes[$0].id, nodes[$0].ownCatalogue?.version ?? 0) })
        let reference = live.first.map { nodes[$0].store.digest() }
        for observer in live {
            let view = nodes[observer].swim.members
            var alive: Set<Int> = []
            for member in view {
                guard let index = index(of: member.nodeID) else { continue }
                if case .alive = member.status { alive.insert(index) }
                if liveSet.contains(index), index != observer {
                    let own = nodes[index].swim.incarnation
                    switch member.status {
                    case .alive(let incarnation) where incarnation == own:
                        break
                    default:
                        // A node that refuted (raised its incarnation) must not stay suspect or
                        // dead, nor at an older incarnation, in anyone's view once healed.
                        note("node \(observer) sees live node \(index) as \(member.status), which holds incarnation \(own)")
                    }
                }
            }
            if alive != liveSet { note("node \(observer) sees \(alive.count) members alive, \(live.count) are live: differs in \(alive.symmetricDifference(liveSet).sorted().prefix(5))") }
            let tracked = Set(nodes[observer].live.elements).union([observer])
            if tracked != alive { note("node \(observer): the shell's live peers (\(tracked.count)) differ from the core's alive members (\(alive.count))") }
            let digest = nodes[observer].store.digest()
            if digest != reference { note("node \(observer) holds \(digest.count) catalogues, differing from node \(live[0]) (\(reference?.count ?? 0))") }
            for (owner, version) in newest where (nodes[observer].heldVersion(of: owner) ?? 0) < version {
                note("node \(observer) lacks version \(version) of \(owner)'s catalogue")
            }
        }
        return problems
    }

    /// Steps the run until ``seemsConverged()`` or `bound` has passed; returns the time it took.
    @discardableResult
    public func runUntilConverged(bound: Duration, step: Duration = .milliseconds(100), progress: Progress? = nil) -> Duration? {
        let start = now
        while now - start <= bound {
            if seemsConverged() { return now - start }
            run(until: now + step)
            progress?.update(now)
        }
        return seemsConverged() ? now - start : nil
    }
}
