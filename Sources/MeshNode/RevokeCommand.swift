import ArgumentParser
import Foundation
import MeshCore
import X509

extension CACommand {
    /// `meshnode ca revoke`: adds certificates to the federation's signed revocation list in
    /// the CA directory (docs/ARCHITECTURE.md, "Identity and PKI"). The operator then hands the file to a
    /// node, whose gossip spreads it; nodes refuse the serials at the handshake and drop the
    /// catalogues they signed.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke certificates: writes the next version of \(SignedRevocationList.fileName) in --dir, signed by the CA."
        )

        @Option(help: "The CA directory made by `meshnode ca init`.")
        var dir: String

        @Option(name: .customLong("serial"), help: "Serial to revoke, as printed by issue-node (4a:3:ff) or openssl (4A03FF) (repeatable).")
        var serials: [String] = []

        @Option(name: .customLong("cert"), help: "PEM certificate file to revoke (repeatable).")
        var certificates: [String] = []

        /// Nodes whose list is older than this report it as stale, so the CA must sign a newer
        /// list within this many days.
        @Option(help: "Days until the CA promises a newer list; nodes holding this one report it as stale after that (at least 1).")
        var nextUpdateDays: Int = FederationCA.revocationNextUpdateDaysDefault

        /// A list must be re-signed before its next update even when nothing new is revoked.
        @Flag(help: "Sign the list again as it is (next version, a new next update), revoking nothing new.")
        var renew = false

        func validate() throws {
            if serials.isEmpty && certificates.isEmpty && !renew {
                throw ValidationError("give at least one --serial or --cert to revoke, or --renew to sign the list again before its next update")
            }
            if nextUpdateDays < 1 {
                throw ValidationError("--next-update-days must be at least 1, not \(nextUpdateDays): nodes would report the list as stale before it has spread")
            }
            for serial in serials {
                do {
                    _ = try Certificate.SerialNumber(parsing: serial)
                } catch {
                    throw ValidationError(error.message)
                }
            }
        }

        func run() throws {
            let ca = try FederationCA.load(directory: dir)
            var revoked: [Certificate.SerialNumber] = []
            for serial in serials {
                revoked.append(try Certificate.SerialNumber(parsing: serial))
            }
            for path in certificates {
                let certificate = try PEMLoader.certificate(at: path)
                guard certificate.issuer == ca.certificate.subject, ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate) else {
                    throw ValidationError("'\(path)' is not issued by the CA in '\(dir)'; revoking it here would have no effect")
                }
                revoked.append(certificate.serialNumber)
            }
            let previous = try ca.loadRevocationList(directory: dir)
            let signed = try ca.nextRevocationList(after: previous, revoking: revoked, nextUpdateDays: nextUpdateDays)
            try ca.saveRevocationList(signed, directory: dir)
            let list = try signed.verify(caCertificate: ca.certificate)
            let added = list.serials.count - previous.serials.count
            print("revocation list version \(list.version) in \(FederationCA.revocationListPath(directory: dir)): \(list.serials.count) revoked (\(added) new)")
            let nextUpdate = ISO8601Time.text(milliseconds: list.nextUpdateMilliseconds)
            print("next update due by \(nextUpdate): sign a newer list before then, or nodes report this one as stale")
            for serial in revoked.map(\.normalised) where !previous.contains(serial) {
                print("revoked serial \(serial)")
            }
        }
    }
}
