import Foundation

/// Where a peer listens.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`.
    public init(parsing text: String) throws(TransportError) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw TransportError(.unknownPeer, "address '\(text)' has no port; write [IPv6]:PORT")
            }
            portPart = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        } else {
            throw TransportError(.unknownPeer, "address '\(text)' has no port; write HOST:PORT")
        }
        guard !hostPart.isEmpty else {
            throw TransportError(.unknownPeer, "address '\(text)' has no host; write HOST:PORT")
        }
        guard let port = Int(portPart), (1...65535).contains(port) else {
            throw TransportError(.unknownPeer, "address '\(text)' has an invalid port '\(portPart)'; use 1 to 65535")
        }
        if text.hasPrefix("[") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, String(hostPart), &address) == 1 else {
                throw TransportError(.unknownPeer, "address '\(text)' has '\(hostPart)' in brackets, which is not an IPv6 address")
            }
        } else if let problem = Self.hostProblem(hostPart) {
            throw TransportError(.unknownPeer, "address '\(text)': \(problem)")
        }
        self.init(host: String(hostPart), port: port)
    }

    /// Why `host` (written without brackets) is neither an IPv4 address nor a DNS name, or
    /// nil. Found by fuzzing the configuration loader: '127.0.0.1:74027.0.0.1:7400' was read
    /// as host '127.0.0.1:74027.0.0.1', which no resolver accepts and which the node then
    /// wrote back as an IPv6 address in brackets that its own loader refused.
    static func hostProblem(_ host: Substring) -> String? {
        if host.contains(":") {
            return "the host '\(host)' has a colon; write an IPv6 address in brackets, [IPv6]:PORT"
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            var address = in_addr()
            return inet_pton(AF_INET, String(host), &address) == 1 ? nil : "'\(host)' is not an IPv4 address"
        }
        guard host.utf8.count <= 253 else { return "the host name '\(host.prefix(40))...' is longer than 253 characters" }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-",
                label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            else {
                return "'\(host)' is not a host name (letters, digits and hyphens in dot-separated labels) or an IPv4 address"
            }
        }
        return nil
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
