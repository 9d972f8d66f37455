/// A fixed-size set of row numbers, 64 rows per word: filters are evaluated a column at a
/// time into bitsets and combined word by word.
struct Bitset: Equatable {
    private(set) var words: [UInt64]
    let count: Int

    init(count: Int, filled: Bool = false) {
        self.count = count
        words = [UInt64](repeating: filled ? ~0 : 0, count: (count + 63) / 64)
        if filled { clearTail() }
    }

    init(count: Int, words: [UInt64]) {
        precondition(words.count == (count + 63) / 64)
        self.count = count
        self.words = words
        clearTail()
    }

    subscript(row: Int) -> Bool {
        words[row >> 6] & (1 << UInt64(row & 63)) != 0
    }

    mutating func insert(_ row: Int) {
        words[row >> 6] |= 1 << UInt64(row & 63)
    }

    mutating func formIntersection(_ other: Bitset) {
        words.withUnsafeMutableBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                for i in mine.indices { mine[i] &= theirs[i] }
            }
        }
    }

    mutating func formUnion(_ other: Bitset) {
        words.withUnsafeMutableBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                for i in mine.indices { mine[i] |= theirs[i] }
            }
        }
    }

    /// Rows in `self` but not in `other`.
    mutating func subtract(_ other: Bitset) {
        words.withUnsafeMutableBufferPointer { mine in
            other.words.withUnsafeBufferPointer { theirs in
                for i in mine.indices { mine[i] &= ~theirs[i] }
            }
        }
    }

    func complemented() -> Bitset {
        Bitset(count: count, words: words.map { ~$0 })
    }

    var cardinality: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Calls `body` with every row in the set, in ascending order.
    @inline(__always)
    func forEach(_ body: (Int) -> Void) {
        words.withUnsafeBufferPointer { buffer in
            for (index, word) in buffer.enumerated() {
                var remaining = word
                let base = index << 6
                while remaining != 0 {
                    body(base + remaining.trailingZeroBitCount)
                    remaining &= remaining &- 1
                }
            }
        }
    }

    private mutating func clearTail() {
        let tail = count & 63
        if tail != 0, !words.isEmpty {
            words[words.count - 1] &= (1 << UInt64(tail)) - 1
        }
    }
}
