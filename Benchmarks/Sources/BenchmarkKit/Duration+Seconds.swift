extension Duration {
    /// The duration in seconds as a floating-point number, for rates and latencies (Duration
    /// itself only divides into another Duration or an integer count).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
