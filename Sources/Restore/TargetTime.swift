public import Foundation
internal import Glibc

/// A `--target-time`, parsed strictly before anything is written: ISO 8601
/// `YYYY-MM-DD[ T]HH:MM:SS[.ffffff]` followed by a time zone (`+HH`, `+HH:MM`, `+HHMM`, `-…`,
/// `Z` or `UTC`, optionally after a space).
///
/// PostgreSQL accepts more (`now`, `yesterday`, abbreviations, zoneless times read in the
/// restored server's `TimeZone`), but anything pgsnap cannot pin to an instant itself it cannot
/// use to pick the base backup, and a value the server rejects is only found in its log at
/// start-up. The value written to postgresql.auto.conf is the same instant in UTC, in a form
/// every supported PostgreSQL reads the same way.
public struct TargetTime: Sendable, Equatable {
    public let date: Date
    /// `2026-11-24 10:41:00.250000+00`.
    public let canonical: String

    public init(parsing text: String) throws(RestoreError) {
        func refuse(_ why: String) -> RestoreError {
            RestoreError(
                code: .invalidOption,
                detail: "--target-time \(Self.shown(text)): \(why); give a time like '2026-11-24 10:41:00+00'")
        }
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
            let day = scanner.digits(2), scanner.take(" ") || scanner.take("T"),
            let hour = scanner.digits(2), scanner.take(":"), let minute = scanner.digits(2), scanner.take(":"),
            let second = scanner.digits(2)
        else { throw refuse("not an ISO 8601 date and time") }
        var microseconds = 0
        if scanner.take(".") {
            guard let (value, count) = scanner.fraction(maximum: 6) else { throw refuse("at most 6 fractional digits") }
            microseconds = value * Int(pow(10.0, Double(6 - count)))
        }
        _ = scanner.take(" ")
        let offset: Int
        if scanner.take("Z") || scanner.take("UTC") {
            offset = 0
        } else if let sign = scanner.sign() {
            guard let hours = scanner.digits(2), hours <= 15 else {
                throw refuse("the UTC offset is not +HH or +HH:MM")
            }
            var minutes = 0
            if scanner.atEnd == false {
                _ = scanner.take(":")
                guard let value = scanner.digits(2), value < 60 else {
                    throw refuse("the UTC offset is not +HH or +HH:MM")
                }
                minutes = value
            }
            offset = sign * (hours * 3600 + minutes * 60)
        } else if scanner.atEnd {
            throw refuse(
                "it has no time zone, and PostgreSQL would read it in the restored server's TimeZone, which pgsnap cannot see"
            )
        } else {
            throw refuse("not an ISO 8601 date and time")
        }
        guard scanner.atEnd else { throw refuse("unexpected text after the time") }
        guard (1..<13).contains(month), (1..<32).contains(day), hour < 24, minute < 60, second < 60 else {
            throw refuse("no such date or time")
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let local = timegm(&parts)
        // timegm normalises 2026-02-30 to March 2nd; a date that moved did not exist.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { throw refuse("no such date") }
        let instant = Int(local) - offset
        date = Date(timeIntervalSince1970: Double(instant) + Double(microseconds) / 1_000_000)
        var seconds = time_t(instant)
        var utc = tm()
        gmtime_r(&seconds, &utc)
        canonical = String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", Int(utc.tm_year) + 1900, Int(utc.tm_mon) + 1,
            Int(utc.tm_mday), Int(utc.tm_hour), Int(utc.tm_min), Int(utc.tm_sec), microseconds)
    }

    /// What was given, escaped and cut short for an error line.
    static func shown(_ text: String) -> String {
        let cut = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return cut.debugDescription
    }

    /// Reads the fixed-width fields; each method consumes only on success.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func take(_ literal: String) -> Bool {
            let expected = Array(literal.utf8)
            guard bytes.count - position >= expected.count,
                Array(bytes[position..<position + expected.count]) == expected
            else { return false }
            position += expected.count
            return true
        }

        mutating func digits(_ count: Int) -> Int? {
            guard bytes.count - position >= count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += count
            return value
        }

        mutating func fraction(maximum: Int) -> (Int, Int)? {
            var value = 0
            var count = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                guard count < maximum else { return nil }
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                count += 1
                position += 1
            }
            return count == 0 ? nil : (value, count)
        }

        mutating func sign() -> Int? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }
    }
}
