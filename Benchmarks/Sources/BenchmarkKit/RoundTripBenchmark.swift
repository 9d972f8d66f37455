import Foundation
import Transport

/// Echo requests over a ``LoopbackMeshPair``'s one connection, through the public
/// `MeshTransport.request(_:to:timeout:)` API: what a query coordinator pays per exchange,
/// Envelope encoding, framing, LZ4 (payloads of 512 bytes and more), TLS, the kernel's
/// loopback, and the hops between Swift tasks and the event loops included.
public struct RoundTripBenchmark: Sendable {
    /// One run with one request in flight at a time.
    public struct Sequential: Sendable {
        public var requestsPerSecond: Double
        /// Round-trip latencies in microseconds.
        public var latencies: SampleSummary
        /// Bytes the requester put on the wire per request (frame header included), which
        /// shows what compression did to the payload.
        public var wireBytesPerRequest: Double
    }

    public let pair: LoopbackMeshPair
    /// Generous: a request that takes this long means the run is broken, not slow.
    public var timeout: Duration = .seconds(30)

    public init(pair: LoopbackMeshPair) {
        self.pair = pair
    }

    /// Sends `count` requests and checks that every echo returns the payload unchanged, so
    /// that connections, TLS session state, allocator pools and caches are warm before
    /// anything is timed.
    public func warmUp(payload: Data, count: Int) async throws {
        let request = Self.echoRequest(payload)
        for _ in 0..<count {
            let response = try await pair.requester.request(request, to: pair.responderID, timeout: timeout)
            guard response.body == payload else {
                throw BenchmarkError("echo of a \(payload.count)-byte payload came back different")
            }
        }
    }

    /// `count` requests, each sent when the previous response has arrived.
    ///
    /// Timed requests check only the size of the echo: comparing 64 KiB would add a few
    /// microseconds to each round trip that the transport does not spend (``warmUp(payload:count:)``
    /// compares whole bodies).
    public func runSequential(payload: Data, count: Int) async throws -> Sequential {
        precondition(count > 0)
        let request = Self.echoRequest(payload)
        let clock = ContinuousClock()
        var latencies: [Double] = []
        latencies.reserveCapacity(count)
        let wireBefore = pair.requester.statistics.snapshot.wireBytesSent
        let start = clock.now
        for _ in 0..<count {
            let sent = clock.now
            let response = try await pair.requester.request(request, to: pair.responderID, timeout: timeout)
            latencies.append((clock.now - sent).inSeconds * 1e6)
            guard response.body.count == payload.count else {
                throw BenchmarkError("echo of a \(payload.count)-byte payload came back with \(response.body.count) bytes")
            }
        }
        let elapsed = clock.now - start
        let wireBytes = pair.requester.statistics.snapshot.wireBytesSent - wireBefore
        return Sequential(
            requestsPerSecond: Double(count) / elapsed.inSeconds,
            latencies: SampleSummary(latencies),
            wireBytesPerRequest: Double(wireBytes) / Double(count)
        )
    }

    /// `count` requests with `depth` in flight at all times (a new one starts as soon as one
    /// completes); returns completed requests per second.
    public func runPipelined(payload: Data, count: Int, depth: Int) async throws -> Double {
        precondition(count > 0 && depth > 0)
        let request = Self.echoRequest(payload)
        let requester = pair.requester
        let responder = pair.responderID
        let timeout = timeout
        let expectedBytes = payload.count
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            var started = 0
            var completed = 0
            while completed < count {
                while started < count, started - completed < depth {
                    group.addTask {
                        try await requester.request(request, to: responder, timeout: timeout).body.count
                    }
                    started += 1
                }
                guard let echoedBytes = try await group.next() else { break }
                guard echoedBytes == expectedBytes else {
                    throw BenchmarkError("echo of a \(expectedBytes)-byte payload came back with \(echoedBytes) bytes")
                }
                completed += 1
            }
        }
        return Double(count) / (clock.now - start).inSeconds
    }

    private static func echoRequest(_ payload: Data) -> Envelope {
        var request = Envelope()
        request.kind = .echo
        request.body = payload
        return request
    }
}
