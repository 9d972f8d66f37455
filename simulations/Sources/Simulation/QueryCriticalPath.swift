/// The critical path of one round of a query as it actually ran: the slowest chain of
/// (message down, local step or subtree below, message up) from the origin, with the delay
/// each message really took in the network model.
///
/// A tree round ends when its slowest root-to-leaf path has answered, so no schedule can
/// beat this length; comparing the measured latency with it shows how much the shells and
/// coordinators add on top (waiting, serialising, timeouts), which a bound drawn from the
/// mean delay cannot (with hundreds of paths, the slowest is far above the mean). Only what
/// the round used counts: a message down to a node, and a reply that reached a coordinator
/// still waiting for it (the unmasking round stops once it holds enough reveals, so the
/// slowest needed exchange is the last reply it consumed).
struct QueryCriticalPath {
    private struct Leg: Hashable {
        var from: Int
        var to: Int
    }

    /// The delay of the first copy of each message used, by sender and receiver.
    private var delays: [Leg: Duration] = [:]
    /// Where each node's messages went, in the order sent (the tree's edges seen from it).
    private var receivers: [Int: [Int]] = [:]
    /// Each node's local step (execution or reveal) that finished.
    private var steps: [Int: Duration] = [:]

    /// A message from `sender` reached `receiver` after `delay` and was used.
    mutating func used(from sender: Int, to receiver: Int, delay: Duration) {
        let leg = Leg(from: sender, to: receiver)
        guard delays[leg] == nil else { return }
        delays[leg] = delay
        receivers[sender, default: []].append(receiver)
    }

    /// `node`'s local step finished, after `duration`.
    mutating func stepped(at node: Int, duration: Duration) {
        steps[node] = max(steps[node] ?? .zero, duration)
    }

    /// The length of the slowest path from `root`: at each node the longer of its own
    /// step and, over each child that answered, the delay down plus the child's own
    /// length plus the delay up.
    func length(from root: Int) -> Duration {
        length(of: root, below: nil, depth: 0)
    }

    private func length(of node: Int, below parent: Int?, depth: Int) -> Duration {
        var longest = steps[node] ?? .zero
        // A tree has no cycles; the depth guard only stops a malformed record.
        guard depth < 64 else { return longest }
        for child in receivers[node] ?? [] where child != parent {
            guard let down = delays[Leg(from: node, to: child)], let up = delays[Leg(from: child, to: node)] else { continue }
            longest = max(longest, down + length(of: child, below: node, depth: depth + 1) + up)
        }
        return longest
    }
}
