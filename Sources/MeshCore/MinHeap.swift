/// An element with a strict total order for ``MinHeap``: `precedes` says which comes out
/// first. Ties must be broken (by a sequence or insertion number) for a deterministic order.
public protocol HeapOrdered {
    func precedes(_ other: Self) -> Bool
}

/// A binary min-heap: O(log n) insertion and removal of the first element.
///
/// Used where a deterministic order over many items is needed often: the rumours of the
/// gossip queue, and the simulator's agenda of events.
public struct MinHeap<Element: HeapOrdered> {
    // Inlinable so that each user's element type is specialised: the heap sits on hot
    // paths (every gossip message, every simulated event).
    @usableFromInline var elements: [Element] = []

    @inlinable public init() {}

    /// Builds a heap from `elements` in O(n).
    @inlinable public init(_ elements: [Element]) {
        self.elements = elements
        guard elements.count > 1 else { return }
        for index in stride(from: elements.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    @inlinable public var count: Int { elements.count }
    @inlinable public var isEmpty: Bool { elements.isEmpty }
    @inlinable public var first: Element? { elements.first }

    @inlinable public mutating func insert(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child].precedes(elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    @inlinable public mutating func popFirst() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let first = elements.removeLast()
        if !elements.isEmpty { siftDown(0) }
        return first
    }

    @inlinable mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < elements.count else { return }
            var best = left
            if left + 1 < elements.count, elements[left + 1].precedes(elements[left]) { best = left + 1 }
            guard elements[best].precedes(elements[parent]) else { return }
            elements.swapAt(parent, best)
            parent = best
        }
    }
}

extension MinHeap: Sendable where Element: Sendable {}
