/// The limits of one `meshnode console`: every store and queue it keeps is bounded by one of
/// these, so that a page left open, a script or a misbehaving client cannot grow it.
struct ConsoleSettings: Sendable, Equatable {
    /// Queries kept in memory with their events and results; past it the oldest finished
    /// one is forgotten (its id then answers 404).
    var queriesKeptMax = 256
    /// Queries running against the mesh at once; one more is answered 429.
    var concurrentQueriesMax = 4
    /// Event streams open on one query at once; one more is answered 429.
    var subscribersPerQueryMax = 16
    /// The largest request body read, in bytes (the query text itself is limited by the
    /// parser to 256 KiB).
    var requestBodyBytesMax = 300 * 1024
    /// How long a mesh view fetched from the node is reused, so that the page's catalogue,
    /// members and every submission do not each open a mutual-TLS connection.
    var viewReuseSeconds = 2.0
    /// Seconds the node is given to answer a request for its mesh view.
    var viewTimeoutSeconds = 5.0
}
