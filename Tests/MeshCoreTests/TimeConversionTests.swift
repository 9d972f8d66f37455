import Foundation
import MeshCore
import Testing

/// Unix milliseconds, durations in milliseconds and ISO 8601 text: one rounding rule (down
/// to the millisecond) and exact round trips.
@Suite struct TimeConversionTests {
    /// 2026-11-27T12:00:00Z.
    static let noon: Int64 = 1_795_780_800_000

    @Test func datesRoundDownToTheMillisecondAlsoBefore1970() {
        #expect(UnixMilliseconds.from(Date(timeIntervalSince1970: 1.0009)) == 1000)
        #expect(UnixMilliseconds.from(Date(timeIntervalSince1970: 1.9999)) == 1999)
        #expect(UnixMilliseconds.from(Date(timeIntervalSince1970: -0.0001)) == -1)
        #expect(UnixMilliseconds.from(Date(timeIntervalSince1970: -1.5)) == -1500)
    }

    /// Every millisecond of a second around now, and some before 1970, survive the trip
    /// through `Date`, which a plain `Double(ms) / 1000` does not promise.
    @Test func millisecondsSurviveTheTripThroughDate() {
        var plainMisses = 0
        for milliseconds in Array(Self.noon..<(Self.noon + 1000)) + Array(-1000..<1000) + [1_800_000_000_600, 978_307_200_123] {
            let date = UnixMilliseconds.date(milliseconds)
            #expect(UnixMilliseconds.from(date) == milliseconds)
            #expect(abs(date.timeIntervalSince1970 * 1000 - Double(milliseconds)) < 0.001)
            if UnixMilliseconds.from(Date(timeIntervalSince1970: Double(milliseconds) / 1000)) != milliseconds { plainMisses += 1 }
        }
        #expect(plainMisses > 0, "the plain conversion loses a millisecond somewhere, or this test shows nothing")
    }

    @Test func durationsRoundDownToWholeMilliseconds() {
        #expect(Duration.seconds(2).wholeMilliseconds == 2000)
        #expect(Duration.nanoseconds(1_999_999).wholeMilliseconds == 1)
        #expect(Duration.nanoseconds(999_999).wholeMilliseconds == 0)
        #expect(Duration.nanoseconds(-1).wholeMilliseconds == -1)
        #expect(Duration.milliseconds(-1500).wholeMilliseconds == -1500)
        #expect(Duration.nanoseconds(-1_500_001).wholeMilliseconds == -2)
        #expect(Duration.seconds(1.5).wholeMilliseconds == 1500)
    }

    @Test func durationsInFractionalMillisecondsKeepNanoseconds() {
        #expect(Duration.nanoseconds(21_601_580).fractionalMilliseconds == 21.60158)
        #expect(Duration.seconds(3).fractionalMilliseconds == 3000)
        #expect(Duration.nanoseconds(-500_000).fractionalMilliseconds == -0.5)
    }

    // MARK: ISO 8601

    @Test func writesTheExactMillisecondInUTC() {
        #expect(ISO8601Time.text(milliseconds: Self.noon) == "2026-11-27T12:00:00.000Z")
        #expect(ISO8601Time.text(milliseconds: Self.noon + 123) == "2026-11-27T12:00:00.123Z")
        #expect(ISO8601Time.text(milliseconds: Self.noon + 59_999) == "2026-11-27T12:00:59.999Z")
        #expect(ISO8601Time.text(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(ISO8601Time.text(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(ISO8601Time.text(milliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(ISO8601Time.text(UnixMilliseconds.date(Self.noon + 7)) == "2026-11-27T12:00:00.007Z")
    }

    /// Every day from 1969 to 2031 (leap days and year ends included) reads back as written.
    @Test func textReadsBackToTheSameMillisecond() throws {
        // One expectation over all days: an #expect per day costs more than the conversion.
        var mismatches: [Int64] = []
        for day in Int64(-400)...Int64(22_300) {
            let milliseconds = day * 86_400_000 + (day * 7_919_017) % 86_400_000
            if try ISO8601Time.milliseconds(parsing: ISO8601Time.text(milliseconds: milliseconds)) != milliseconds { mismatches.append(milliseconds) }
        }
        #expect(mismatches.isEmpty, "do not read back: \(mismatches.prefix(5))")
    }

    @Test(arguments: [
        ("2026-11-27T12:00:00Z", noon),
        ("2026-11-27T12:00:00.25Z", noon + 250),
        ("2026-11-27T12:00:00.123456789Z", noon + 123),
        ("2026-11-27T13:30:00+01:30", noon),
        ("2026-11-27T07:00:00-05:00", noon),
        ("2026-11-27", noon - 12 * 3_600_000),
        ("2028-02-29", 1_835_395_200_000),
        ("1969-12-31T23:59:59.999Z", -1),
    ])
    func readsDateTimesAndDates(_ text: String, _ milliseconds: Int64) throws {
        #expect(try ISO8601Time.milliseconds(parsing: text) == milliseconds)
    }

    @Test(arguments: [
        ("", "not in the form"),
        ("yesterday", "not in the form"),
        ("2026-11-27T12:00:00", "not in the form"),
        ("2026-11-27 12:00:00Z", "not in the form"),
        ("2026-11-27T12:00Z", "not in the form"),
        ("2026-11-27T12:00:00Zjunk", "not in the form"),
        (" 2026-11-27", "not in the form"),
        ("27/11/2026", "not in the form"),
        ("2026-13-01", "month 13 is not from 1 to 12"),
        ("2026-00-10", "month 0 is not from 1 to 12"),
        ("2026-02-30", "day 30 does not exist in 2026-02, which has 28 days"),
        ("2027-02-29", "day 29 does not exist in 2027-02, which has 28 days"),
        ("2026-04-31T00:00:00Z", "day 31 does not exist in 2026-04, which has 30 days"),
        ("2026-11-27T24:00:00Z", "24:00:00 is not a time of day"),
        ("2026-11-27T12:60:00Z", "12:60:00 is not a time of day"),
        ("2026-11-27T12:00:61Z", "12:00:61 is not a time of day"),
        ("2026-11-27T12:00:00+24:00", "offset +24:00 is not from"),
    ])
    func refusesMalformedTextSayingWhy(_ text: String, _ reason: String) {
        #expect(throws: ISO8601TimeError.self) { try ISO8601Time.milliseconds(parsing: text) }
        do {
            _ = try ISO8601Time.milliseconds(parsing: text)
        } catch {
            #expect(error.text == text)
            #expect(error.description.hasPrefix("'\(text)' is not an ISO 8601 date-time: "), "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }
}
