import Foundation
import X509

/// Certificate serial numbers as operators type them and as revocation lists compare them.
extension Certificate.SerialNumber {
    /// The serial as an unsigned magnitude without leading zero bytes (one zero byte for 0).
    ///
    /// DER keeps a leading 0x00 when the top bit of the first byte is set, and OpenSSL prints
    /// serials without it; comparing magnitudes makes both spellings name the same certificate.
    public var normalised: Certificate.SerialNumber {
        let trimmed = bytes.drop { $0 == 0 }
        return Certificate.SerialNumber(bytes: trimmed.isEmpty ? [0] : Array(trimmed))
    }

    /// Parses a serial as printed by `meshnode ca issue-node` (`4a:3:ff`, one or two hex digits
    /// per byte), by `openssl x509 -serial` (`serial=4A03FF`) or as plain hex (`0x4a03ff`).
    public init(parsing text: String) throws(RevocationListError) {
        var body = text.trimmingCharacters(in: .whitespaces).lowercased()
        for prefix in ["serial=", "0x"] where body.hasPrefix(prefix) {
            body.removeFirst(prefix.count)
        }
        guard !body.isEmpty, body.allSatisfy({ ($0.isASCII && $0.isHexDigit) || $0 == ":" }) else {
            throw RevocationListError(.invalidSerial, "serial '\(text)' is not hexadecimal; give it as printed by `meshnode ca issue-node` (4a:3:ff) or `openssl x509 -serial` (4A03FF)")
        }
        let groups: [Substring]
        if body.contains(":") {
            groups = body.split(separator: ":", omittingEmptySubsequences: false)
            guard groups.allSatisfy({ (1...2).contains($0.count) }) else {
                throw RevocationListError(.invalidSerial, "serial '\(text)' has an empty or over-long group; use one or two hex digits between colons, e.g. 4a:03:ff")
            }
        } else {
            let padded = body.count % 2 == 1 ? "0" + body : body
            var pairs: [Substring] = []
            var index = padded.startIndex
            while index < padded.endIndex {
                let next = padded.index(index, offsetBy: 2)
                pairs.append(padded[index..<next])
                index = next
            }
            groups = pairs
        }
        var bytes: [UInt8] = []
        for group in groups {
            // Every group is one or two hex digits by now.
            bytes.append(UInt8(group, radix: 16)!)
        }
        let serial = Certificate.SerialNumber(bytes: bytes).normalised
        guard serial.bytes.count <= RevocationList.serialBytesMax else {
            throw RevocationListError(.invalidSerial, "serial '\(text)' has more than \(RevocationList.serialBytesMax) bytes, which no certificate serial has")
        }
        self = serial
    }
}
