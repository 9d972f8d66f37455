/// A set of node indices with O(1) insert, remove and uniform random choice: the members a
/// simulated node currently believes alive, kept up to date from its membership events.
public struct LiveSet: Sendable {
    public private(set) var elements: [Int] = []
    private var positions: [Int: Int] = [:]

    public init() {}

    public var count: Int { elements.count }

    public func contains(_ element: Int) -> Bool { positions[element] != nil }

    public mutating func insert(_ element: Int) {
        guard positions[element] == nil else { return }
        positions[element] = elements.count
        elements.append(element)
    }

    public mutating func remove(_ element: Int) {
        guard let position = positions.removeValue(forKey: element) else { return }
        let last = elements.removeLast()
        if position < elements.count {
            elements[position] = last
            positions[last] = position
        }
    }

    public func randomElement<G: RandomNumberGenerator>(using random: inout G) -> Int? {
        guard !elements.isEmpty else { return nil }
        return elements[Int(random.next() % UInt64(elements.count))]
    }
}
