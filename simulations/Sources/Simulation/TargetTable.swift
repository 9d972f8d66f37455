import Foundation

/// The README of `simulations/`: measured figures of the standard set next to the targets,
/// with by how much each missed target is missed.
enum TargetTable {
    struct Row {
        var target: String
        var measured: String
        var verdict: String
    }

    static func compare(_ value: Double?, atMost limit: Double, unit: String) -> (String, String) {
        guard let value else { return ("not reached", "missed (never reached)") }
        let shown = "\(SVGChart.format((value * 100).rounded() / 100)) \(unit)"
        if value <= limit { return (shown, "met") }
        return (shown, "missed by \(SVGChart.format(((value - limit) * 100).rounded() / 100)) \(unit) (\(Int(((value / max(limit, 1e-9) - 1) * 100).rounded()))%)")
    }

    static func readme(_ all: [Scenario: [Int: ScenarioResult]], nodes: [Int], out: String) -> String {
        let largest = nodes.max() ?? 1000
        let smallest = nodes.min() ?? 30
        var rows: [Row] = []
        let update = all[.update]?[largest]
        for (loss, limit) in [("loss 0%", 9.0), ("loss 5%", 11.0)] {
            let (shown, verdict) = compare(update?.metric("\(loss): 99.9% rounds"), atMost: limit, unit: "rounds")
            rows.append(Row(target: "update reaches 99.9% of \(largest) nodes within \(Int(limit)) rounds at \(loss)", measured: shown, verdict: verdict))
        }
        let antiEntropy = ScenarioOptions(nodes: 1, seed: 0).settings.catalogues.antiEntropyInterval.secondsValue
        for loss in ["loss 0%", "loss 5%"] {
            let (shown, verdict) = compare(update?.metric("\(loss): 100% seconds"), atMost: antiEntropy, unit: "s")
            rows.append(Row(target: "update reaches 100% of \(largest) nodes within one catalogue anti-entropy interval (\(SVGChart.format(antiEntropy)) s) at \(loss)", measured: shown, verdict: verdict))
        }
        let crash = all[.crash]?[largest]
        let (suspicion, suspicionVerdict) = compare(crash?.metric("first suspicion: probe periods"), atMost: 2, unit: "periods")
        let crashes = Int(crash?.metric("crashes") ?? 1)
        rows.append(Row(target: "first suspicion of a crashed node within 2 probe periods on average (\(crashes) crashes, one after another)", measured: suspicion, verdict: suspicionVerdict))
        let dissemination = ceil(log2(Double(largest)))
        let deadLimit = (crash?.metric("suspicion timeout maximum") ?? 0) + dissemination
        let (dead, deadVerdict) = compare(crash?.metric("dead everywhere: seconds"), atMost: deadLimit, unit: "s")
        rows.append(Row(target: "dead everywhere within the maximum suspicion timeout plus log2 N periods of dissemination (\(SVGChart.format(deadLimit)) s)", measured: dead, verdict: deadVerdict))
        let lossy = all[.lossy]?[largest]
        let (falsePositives, fpVerdict) = compare(lossy?.metric("false positive deaths"), atMost: 0, unit: "deaths")
        let lossySeconds = lossy?.metric("measured duration") ?? 0
        let shortened = lossySeconds < 3600 ? " (measured over \(SVGChart.format(lossySeconds)) simulated seconds, not the hour)" : ""
        rows.append(Row(target: "no false positive at 5% loss with 5% slow nodes over one simulated hour at \(largest) nodes", measured: falsePositives + shortened, verdict: lossySeconds < 3600 && fpVerdict == "met" ? "met for the time measured" : fpVerdict))
        let suspicions = lossy?.metric("suspicions of healthy nodes per node-hour")
        rows.append(
            Row(
                target: "suspicions of healthy nodes per node-hour at 5% loss with 5% slow nodes, \(largest) nodes (each suspicion of a member at one incarnation counted once)",
                measured: suspicions.map { "\(SVGChart.format(($0 * 100).rounded() / 100)) per node-hour (\(Int(lossy?.metric("distinct suspicions of healthy nodes") ?? 0)) suspicions, all refuted: \(Int(lossy?.metric("false positive deaths") ?? 0)) deaths)" } ?? "not measured",
                verdict: suspicions == nil ? "missing" : "no goal; for comparison, the Lifeguard paper (Dadgar et al., arXiv:1707.00788) reports its extensions cut SWIM's false positives by more than 50× under slow message processing, as a ratio, not a rate per node-hour"))
        for (name, label, unit) in [
            ("fixed rate: membership and gossip messages per node per second", "messages per node per second (probes and gossip rounds)", "msg/s"),
            ("fixed rate: membership and gossip bytes per node per second", "bytes per node per second (probes and gossip rounds)", "B/s"),
        ] {
            let rate = all[.lossy]?[largest]?.metric("fixed rate: catalogue updates per second, whole mesh").map(SVGChart.format) ?? "?"
            let target = "\(label) vary by at most 10% between \(smallest) and \(largest) nodes at a fixed mesh-wide event rate (\(rate) catalogue updates per second for the whole mesh, no loss)"
            guard let low = all[.lossy]?[smallest]?.metric(name), let high = all[.lossy]?[largest]?.metric(name) else {
                rows.append(Row(target: target, measured: "not measured", verdict: "missing: no lossy run with the fixed-rate phase at \(smallest) and \(largest) nodes"))
                continue
            }
            let change = abs(high - low) / max(low, 1e-9) * 100
            var measured = "\(SVGChart.format((low * 100).rounded() / 100)) → \(SVGChart.format((high * 100).rounded() / 100)) \(unit) (\(SVGChart.format((change * 10).rounded() / 10))%)"
            if unit == "msg/s", let lowPerUpdate = all[.lossy]?[smallest]?.metric("fixed rate: gossip messages per node per update"),
                let highPerUpdate = all[.lossy]?[largest]?.metric("fixed rate: gossip messages per node per update"),
                let lowLimit = all[.lossy]?[smallest]?.metric("fixed rate: transmissions per rumour, λ·⌈log10(N + 1)⌉"),
                let highLimit = all[.lossy]?[largest]?.metric("fixed rate: transmissions per rumour, λ·⌈log10(N + 1)⌉")
            {
                measured += "; gossip messages per node per update \(SVGChart.format((lowPerUpdate * 10).rounded() / 10)) → \(SVGChart.format((highPerUpdate * 10).rounded() / 10)), as SWIM's λ·⌈log10(N + 1)⌉ transmissions per rumour (\(Int(lowLimit)) → \(Int(highLimit)))"
            }
            rows.append(Row(target: target, measured: measured, verdict: change <= 10 ? "met" : "missed by \(SVGChart.format(((change - 10) * 10).rounded() / 10)) percentage points"))
        }
        if let low = all[.lossy]?[smallest]?.metric("membership messages per node per second"), let high = all[.lossy]?[largest]?.metric("membership messages per node per second") {
            let change = abs(high - low) / max(low, 1e-9) * 100
            let measured = "\(SVGChart.format((low * 100).rounded() / 100)) → \(SVGChart.format((high * 100).rounded() / 100)) msg/s (\(SVGChart.format((change * 10).rounded() / 10))%)"
            rows.append(Row(target: "probe messages per node per second (ping, ping-req, ack, nack) vary by at most 10% between \(smallest) and \(largest) nodes at 5% loss with 5% slow nodes", measured: measured, verdict: change <= 10 ? "met" : "missed by \(SVGChart.format(((change - 10) * 10).rounded() / 10)) percentage points"))
        }
        let (wall, wallVerdict) = compare(lossy?.metric("wall seconds per simulated hour"), atMost: 120, unit: "s wall")
        rows.append(Row(target: "\(largest) nodes for one simulated hour in under 2 minutes of wall time (lossy phase: 5% loss, 5% slow nodes)", measured: wall, verdict: wallVerdict))
        let query = all[.query]?[largest]
        for (label, target) in [
            (QueryScenario.maskedWAN, "masked query at \(largest) nodes over WAN without faults within \(QueryScenario.boundText) (its slowest root-to-leaf path's actual delays both ways and local steps, plus the unmasking round's slowest needed exchange), full coverage"),
            (QueryScenario.plaintextWAN, "plaintext-tree query at \(largest) nodes over WAN without faults within \(QueryScenario.boundText) (its slowest root-to-leaf path's actual delays both ways and local steps), full coverage"),
        ] {
            guard let query, let share = query.metric("\(label): share within \(QueryScenario.boundText)") else {
                rows.append(Row(target: target, measured: "not measured", verdict: "missing: no query run at \(largest) nodes with the critical-path figures"))
                continue
            }
            func ratio(_ name: String) -> String { SVGChart.format(((query.metric("\(label): latency / critical path \(name)") ?? 0) * 1000).rounded() / 1000) }
            let worst = query.metric("\(label): latency / critical path max") ?? 0
            let complete = query.metric("\(label): share complete") ?? 0
            let measured = "\(SVGChart.format((share * 1000).rounded() / 10))% of queries within it; latency / critical path p50 \(ratio("p50")), p90 \(ratio("p90")), max \(ratio("max")); complete \(SVGChart.format((complete * 1000).rounded() / 10))%"
            let met = share == 1 && complete == 1
            rows.append(Row(target: target, measured: measured, verdict: met ? "met" : "missed: worst query at \(SVGChart.format((worst * 100).rounded() / 100)) × its critical path\(complete < 1 ? ", coverage incomplete" : "")"))
        }
        if let query {
            let unmaskFailures = query.metric("churn, LAN: queries ended by an unmasking error") ?? 0
            let both = (query.metric("churn, LAN: nodes whose both secrets an origin held") ?? 0) + (query.metric("\(QueryScenario.maskedWAN): nodes whose both secrets an origin held") ?? 0)
            let twice = (query.metric("churn, LAN: holders that revealed twice for a query") ?? 0) + (query.metric("\(QueryScenario.maskedWAN): holders that revealed twice for a query") ?? 0)
            let ok = both == 0 && twice == 0 && query.violations.isEmpty
            rows.append(
                Row(
                    target: "secure aggregation at \(largest) nodes under churn: no origin holds both secrets of a node, no holder reveals twice, every released table exact over its responders",
                    measured: "\(Int(both)) nodes with both secrets, \(Int(twice)) double reveals, \(query.violations.count) violations; \(Int(unmaskFailures)) queries ended by an unmasking error",
                    verdict: ok ? "met" : "missed"))
        }

        var text = """
        # Simulations

        `meshsim` runs the real membership core (`SWIMInstance`), catalogue store (`CatalogueStore`,
        real ECDSA P-256 signatures and X.509 chains), planner, plan signer, query coordinator and
        secure aggregation (masking, signed unmasking requests, reveals sealed to the origin, with
        real X25519 keys published in the catalogues) of every node in one process on a virtual
        clock. One seed draws every delay, loss, duplication,
        partition, slow node and crash, so a run replays exactly (`swift run meshsim SCENARIO --nodes N
        --seed S`); each run checks its safety invariants while faults are in force and convergence
        once they stop.

        Settings are a real node's: 1 s probe period, 500 ms ping timeout, gossip rounds every 200 ms
        to 3 members, push-pull every 30 s, catalogue digests every 10 s. A "gossip round" below is
        200 ms of virtual time; catalogue versions spread as gossiped news that each node pulls from
        its announcer.

        Regenerate: `make simulate` (release build, then `meshsim standard --out simulations/results`);
        `meshsim readme --out simulations/results` rebuilds this page from the reports. Reports:
        `results/SCENARIO-N/report.md` and `report.json`; charts: `results/update-convergence.svg`,
        `results/bytes-per-node.svg`. The standard set takes about an hour on two cores, most of
        it the simulated hour of the lossy scenario and the masked queries of the query scenario
        at \(largest) nodes.

        ## Targets

        | Target | Measured | Verdict |
        |---|---|---|

        """
        for row in rows { text += "| \(row.target) | \(row.measured) | \(row.verdict) |\n" }
        text += "\n## Measured figures (seed \(all.values.first?.values.first?.seed ?? 0))\n\n"
        for scenario in Scenario.allCases {
            guard let runs = all[scenario] else { continue }
            text += "### \(scenario.rawValue)\n\n| Figure | " + nodes.map { "N=\($0)" }.joined(separator: " | ") + " |\n|---|" + nodes.map { _ in "---|" }.joined() + "\n"
            let names = runs[nodes[0]]?.metrics.map(\.name) ?? []
            for name in names {
                text += "| \(name) | " + nodes.map { count in runs[count]?.metrics.first { $0.name == name }.map(Report.value) ?? "" }.joined(separator: " | ") + " |\n"
            }
            text += "| wall time | " + nodes.map { runs[$0].map { String(format: "%.1f s", $0.wallSeconds) } ?? "" }.joined(separator: " | ") + " |\n"
            text += "| invariants | " + nodes.map { runs[$0].map { $0.passed ? "held" : "FAILED (\($0.violations.count + $0.livenessFailures.count))" } ?? "" }.joined(separator: " | ") + " |\n\n"
        }
        text += "![update convergence](results/update-convergence.svg)\n\n![bytes per node](results/bytes-per-node.svg)\n"
        return text
    }
}
