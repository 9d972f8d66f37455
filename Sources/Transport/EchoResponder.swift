extension MeshTransport {
    /// Answers an echo request with its own body (the liveness check of a connection, and
    /// what the demo and the transport benchmark measure); any other request is answered
    /// with `unsupportedKind`, so that its sender does not wait for its deadline.
    public func answerEcho(_ request: InboundMessage) async {
        guard request.envelope.direction == .request else { return }
        var response = Envelope()
        response.kind = request.envelope.kind
        if request.envelope.kind == .echo {
            response.body = request.envelope.body
        } else {
            response.status = .unsupportedKind
            response.statusMessage = "\(request.envelope.kind) is not served here"
        }
        try? await reply(to: request, with: response)
    }

    /// Answers every request with ``answerEcho(_:)`` until the transport shuts down.
    public func serveEcho() async {
        for await message in messages {
            await answerEcho(message)
        }
    }
}
