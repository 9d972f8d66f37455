import ArgumentParser
import Logging

/// `meshnode`: one OncoMesh node, its certificate authority tooling and the demo.
@main
struct MeshNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshnode",
        abstract: "OncoMesh: a hubless federated query mesh for cancer-imaging data.",
        subcommands: [CACommand.self, DemoCommand.self]
    )
}

/// Sends logs to standard error at `level`. Only the executable bootstraps logging; the
/// libraries take a `Logger` (swift-log best practice).
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
