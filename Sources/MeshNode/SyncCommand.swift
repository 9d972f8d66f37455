import ArgumentParser
import Foundation
import Logging
import MeshCore

/// One sync of a node's site data from the source its `sync` section names
/// (``SyncSettings``): what a running node does every `interval_s`, and what
/// `meshnode sync` does once (from cron, or to see a sync's report).
enum SiteSync {
    static func run(config: NodeConfig, showProgress: Bool) async throws -> ImagingImport.Summary {
        guard let sync = config.sync else {
            throw CommandFailure("the node's configuration has no sync section; see `meshnode import --help` for one-off imports")
        }
        let (schema, yaml) = try ImportCommand.schema(at: config.schemaPath)
        let job = ImagingImport(
            databasePath: config.databasePath, schema: schema, schemaYAML: yaml, clinicalPath: sync.clinicalPath, mappingPath: sync.mappingPath,
            strict: sync.strict, showProgress: showProgress
        )
        switch sync.source {
        case .folder(let path, let badFiles):
            return try await job.run(.folder(path: path, badFiles: badFiles))
        case .dicomweb(let settings):
            return try await DICOMwebClient.with(settings) { client in try await job.run(.server(client, since: nil)) }
        }
    }

    /// Syncs now and then every interval until cancelled; a failure is logged and the node
    /// keeps serving what it has.
    ///
    /// - Parameter waitFirst: the node synced just before it started; wait one interval.
    static func loop(config: NodeConfig, logger: Logger, waitFirst: Bool) async {
        guard let sync = config.sync else { return }
        if waitFirst {
            do { try await Task.sleep(for: .seconds(sync.intervalSeconds)) } catch { return }
        }
        while !Task.isCancelled {
            do {
                let summary = try await run(config: config, showProgress: false)
                for line in summary.report { logger.warning("sync: \(line)") }
                logger.info("sync: \(summary.line(database: config.databasePath))")
            } catch is CancellationError {
                return
            } catch {
                logger.error("sync failed; still serving the previous data", metadata: ["reason": "\(error)"])
            }
            do {
                try await Task.sleep(for: .seconds(sync.intervalSeconds))
            } catch {
                return
            }
        }
    }
}

/// `meshnode sync`: one sync of the node's site data now, as its `sync` section says.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Bring the node's site data up to date from its sync source (DICOMweb or a DICOM folder), once.",
        discussion: "A running node does this itself every sync.interval_s; the node picks the new data up and re-signs its catalogue."
    )

    @Option(help: "The node's configuration file.")
    var config: String = "node.yaml"

    @Flag(inversion: .prefixedNo, help: "Show progress for steps longer than a second.")
    var progress = true

    func run() async throws {
        let node = try NodeConfig.load(path: config)
        let summary: ImagingImport.Summary
        do {
            summary = try await SiteSync.run(config: node, showProgress: progress)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        for line in summary.report { print(line) }
        print(summary.line(database: node.databasePath))
    }
}
