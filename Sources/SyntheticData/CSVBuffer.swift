extension SyntheticCases {
    /// ASCII bytes of CSV lines, with integers and fixed-point numbers written digit by
    /// digit: formatting through `String` would allocate for every field.
    struct CSVBuffer {
        private(set) var bytes: [UInt8]

        init(capacity: Int) {
            bytes = []
            bytes.reserveCapacity(capacity)
        }

        mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }
        mutating func separator() { bytes.append(UInt8(ascii: ",")) }
        mutating func endLine() { bytes.append(UInt8(ascii: "\n")) }
        mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
        mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

        mutating func appendPseudonym(prefix: [UInt8], number: Int, digits: Int) {
            bytes.append(contentsOf: prefix)
            appendInteger(number, minimumDigits: digits)
        }

        /// A non-negative integer in decimal, zero-padded to `minimumDigits`.
        mutating func appendInteger(_ value: Int, minimumDigits: Int = 1) {
            precondition(value >= 0, "only non-negative numbers are written")
            var count = 1
            var rest = value
            while rest >= 10 {
                rest /= 10
                count += 1
            }
            count = max(count, minimumDigits)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
            rest = value
            var index = bytes.count - 1
            while rest > 0 {
                bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                index -= 1
            }
        }

        /// A fixed-point value (`value` / 10^scale) with trailing fractional zeros dropped:
        /// 125 at scale 2 is "1.25", 500 is "5", 634 at scale 1 is "63.4".
        mutating func appendFixedPoint(_ value: Int, scale: Int) {
            var factor = 1
            for _ in 0..<scale { factor *= 10 }
            appendInteger(value / factor)
            var fraction = value % factor
            guard fraction != 0 else { return }
            var digits = scale
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            bytes.append(UInt8(ascii: "."))
            appendInteger(fraction, minimumDigits: digits)
        }
    }
}
