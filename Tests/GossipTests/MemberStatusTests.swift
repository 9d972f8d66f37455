import Gossip
import Testing

@Suite struct MemberStatusTests {
    @Test func refutationNeedsAHigherIncarnation() {
        #expect(MemberStatus.alive(incarnation: 2).supersedes(.suspect(incarnation: 1)))
        #expect(!MemberStatus.alive(incarnation: 1).supersedes(.suspect(incarnation: 1)))
        #expect(MemberStatus.alive(incarnation: 3).supersedes(.alive(incarnation: 2)))
        #expect(!MemberStatus.alive(incarnation: 2).supersedes(.alive(incarnation: 2)))
    }

    @Test func suspicionOverridesAliveOfTheSameIncarnation() {
        #expect(MemberStatus.suspect(incarnation: 1).supersedes(.alive(incarnation: 1)))
        #expect(!MemberStatus.suspect(incarnation: 0).supersedes(.alive(incarnation: 1)))
        #expect(!MemberStatus.suspect(incarnation: 1).supersedes(.suspect(incarnation: 1)))
    }

    @Test func deadIsATombstoneThatStaleGossipCannotLift() {
        #expect(MemberStatus.dead(incarnation: 7).supersedes(.alive(incarnation: 7)))
        #expect(!MemberStatus.dead(incarnation: 6).supersedes(.alive(incarnation: 7)), "a stale confirmation")
        #expect(!MemberStatus.alive(incarnation: 7).supersedes(.dead(incarnation: 7)))
        #expect(!MemberStatus.suspect(incarnation: 9).supersedes(.dead(incarnation: 7)))
        #expect(MemberStatus.alive(incarnation: 8).supersedes(.dead(incarnation: 7)))
        #expect(MemberStatus.left(incarnation: 7).supersedes(.dead(incarnation: 7)))
        #expect(!MemberStatus.dead(incarnation: 9).supersedes(.left(incarnation: 7)))
    }

    /// Of two different rumours at most one may win, or a node's view would flip back and
    /// forth as they are retransmitted.
    @Test func noPairHasTwoWinners() {
        let statuses: [MemberStatus] = (0...3).flatMap { i in
            [.alive(incarnation: UInt64(i)), .suspect(incarnation: UInt64(i)), .dead(incarnation: UInt64(i)), .left(incarnation: UInt64(i))]
        }
        for a in statuses {
            #expect(!a.supersedes(a), "\(a) must not supersede itself")
            for b in statuses where a != b {
                #expect(!(a.supersedes(b) && b.supersedes(a)), "\(a) and \(b) both win")
            }
        }
    }
}
