import Foundation

/// What a reader needs to judge the figures: the processor, how many cores, and how busy the
/// machine was when the run started (the development machines are shared).
struct MachineNotes {
    var processor: String
    var cores: Int
    var system: String
    var loadAverage: String

    static func current() -> MachineNotes {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n")
            .first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ")
        return MachineNotes(
            processor: model ?? "unknown",
            cores: ProcessInfo.processInfo.activeProcessorCount,
            system: ProcessInfo.processInfo.operatingSystemVersionString,
            loadAverage: load ?? "unknown"
        )
    }

    var markdown: String {
        """
        - Processor: \(processor), \(cores) cores available to this process
        - System: \(system)
        - Load average (1, 5, 15 min) at start: \(loadAverage)
        - Started: \(ISO8601DateFormatter().string(from: Date()))
        """
    }
}
