/// The "Swarm mode" section of `simulations/README.md`. The page is written by
/// `meshsim readme` and `meshsim standard`, so the section lives here and is placed near the
/// top of every page they write.
enum SwarmReadmeSection {
    static let text = """
        ## Swarm mode

        `meshsim swarm --seed S [--runs R] [--nodes N]` runs R meshes of N nodes, seeds S, S + 1, ...;
        each seed draws its whole fault mix (`SwarmFaultMix`): which kinds are on (each with even
        odds, at least one), loss and duplication at rates of 1 to 30%, slow receivers with extra
        delays of 50 ms to 1.5 s, one or two cuts (two-sided, one-way, or three or four sides, with
        drawn members), crashes of up to N/5 drawn nodes, each restarted at a drawn time or left
        down, and new catalogue versions published meanwhile; every fault has its own window in a
        fault phase of 20 to 90 s, so several overlap. When the phase ends every fault stops, and
        the run goes on until every live node sees exactly the live nodes alive (at the
        incarnation each holds) and holds every live node's newest catalogue, within a bound
        derived from the settings (`SwarmLivenessBound`: join retry cap, maximum suspicion
        timeout, three push-pull intervals to contact a member held dead, ⌈log2 N⌉ health-stretched
        probe periods of gossip twice, ⌈log2 N⌉ + 1 catalogue anti-entropy intervals and the pull
        retries; 328 s at N = 32). Safety is checked throughout: every catalogue accepted (never
        older over newer, never unpublished or altered bytes, never a forgery), and between steps,
        within one process of a node, no going back in its incarnation or in any catalogue version
        it holds, and no live peer that is itself or never started. Masked queries run during the
        fault phase when no node crashes in it, and three after convergence, which must be exact
        over their responders and name exactly the nodes left down as not answered.

        Each run prints one line: seed, N, the mix in short form (`loss=12%@4-40s`,
        `cut2[5|11]@...`, `oneway[3→13]@...`, `cut3[6|5|5]@...`, `crash=n5@12s→21s,n7@20s→down`),
        the verdict, the time to converge and the event log digest; a failure adds what broke and
        `replay: meshsim swarm --seed S --runs 1 --nodes N`, which replays the same run to the same
        digest, and the command exits with status 1. `make swarm` runs 200 seeds at N = 32 in the
        release build (`SWARM_RUNS`, `SWARM_SEED`, `SWARM_NODES`), about 100 s of simulation
        (2 min with the build check) on two cores; `make test` runs five seeds at N = 8, the
        seeds below, and a replay of one seed in two processes.

        Found by seeds 1 to 200: a cut that outlasted the suspicion timeout never healed (5 runs
        of 200 at N = 32, seeds 56 63 83 154 174; 7 at N = 16). Both sides declared each other
        dead, `SWIMInstance` sent nothing to a member it held dead, and the rumours of the
        deaths were spent by the time the network healed, so nobody learnt it had to refute.
        Now each push-pull round also goes, with probability dead / (dead + live others), to one
        random member held dead (as Serf reconnects failed members): `make swarm` runs all 200
        seeds at N = 32 without a failure (85.5 s of simulation, the slowest run converging
        75.2 s after the faults stop), and `SwarmTests` keeps seeds 56, 59 and 114 at N = 16 and
        63 and 83 at N = 32 as regression tests.


        """
}
