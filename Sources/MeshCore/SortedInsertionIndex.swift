extension RandomAccessCollection where Index == Int {
    /// In a collection sorted by `key`, the first index whose element's key is not before
    /// `target`: where `target` stands, or would be inserted (a binary search, O(log n)).
    /// For the lists kept sorted by node ID as members and catalogues come and go.
    @inlinable
    public func sortedInsertionIndex<Key: Comparable>(of target: Key, key: (Element) -> Key) -> Int {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = low + (high - low) / 2
            if key(self[middle]) < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
