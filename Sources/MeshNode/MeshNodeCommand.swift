import ArgumentParser
import Logging

/// `meshnode`: one OncoMesh node, its certificate authority tooling and the demo.
@main
struct MeshNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshnode",
        abstract: "OncoMesh: a hubless federated query mesh for cancer-imaging data.",
        subcommands: [
            CACommand.self, InitCommand.self, RunCommand.self, StatusCommand.self, MembersCommand.self, RevocationsCommand.self, SynthCommand.self, ImportCommand.self, SyncCommand.self,
            SchemaCommand.self, LocalQueryCommand.self, QueryCommand.self, AuditCommand.self, DemoCommand.self,
            BudgetCommand.self, ConsoleCommand.self,
        ]
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

/// A failure the user can act on, printed as "Error: <message>" without the usage text
/// (which is for mistakes in the command line itself).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
