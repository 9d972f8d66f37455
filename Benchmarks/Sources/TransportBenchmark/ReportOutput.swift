import Foundation

/// Progress goes to standard error so that standard output is the report alone, ready to
/// paste into RESULTS.md.
func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// A number with a fixed count of decimals, for table cells.
func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
}
